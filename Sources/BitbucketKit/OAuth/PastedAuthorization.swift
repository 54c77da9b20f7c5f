import Foundation

/// Reads what a person pasted after approving: a bare code, or the whole redirect URL (also
/// broken over lines or wrapped in quotes by a terminal's copy), or an error redirect.
public enum PastedAuthorization {
    /// Why a paste was not accepted, with what was expected instead.
    public enum Problem: Error, Equatable, CustomStringConvertible {
        case empty
        case stateMismatch
        case denied(String?)
        case providerError(String, String?)
        case missingCode
        /// A code much shorter than Bitbucket's: the copy lost its end.
        case truncated(length: Int)
        /// A redirect URL that ends before its `state`: the copy lost its end.
        case cutOff
        /// Text with spaces inside a line: words, not a code or an address.
        case hasSpaces
        case unrecognized

        public var description: String {
            switch self {
            case .empty:
                return "Paste the code, or the whole address your browser was sent to (it contains ?code=…)."
            case .stateMismatch:
                return
                    "That redirect belongs to a different login attempt (its state does not match the URL above). Approve the URL above, then paste the address the browser lands on."
            case .denied:
                return "Access was denied in the browser. To log in, open the URL again and choose Grant access."
            case .providerError(let code, let description):
                return
                    "Bitbucket answered \(code)\(description.map { ": \($0)" } ?? "") instead of a code. Check the OAuth consumer's settings (its callback URL and permissions)."
            case .missingCode:
                return
                    "That address has no code in it. After approving the URL above, copy the whole address of the page the browser lands on (…/callback?code=…)."
            case .truncated(let length):
                return
                    "That code looks cut off: it has \(length) characters, and Bitbucket's have about 18. Copy the whole address of the page the browser landed on again (…/callback?code=…)."
            case .cutOff:
                return
                    "That address was cut off before its state=…, so nothing was sent. Paste the rest of it, or copy the whole address of the page the browser landed on again (…/callback?code=…&state=…)."
            case .hasSpaces:
                return
                    "That text has spaces in it, so it is neither a code (letters and digits, about 18) nor a redirect URL; nothing was sent. After approving the URL above, copy the whole address of the page the browser lands on."
            case .unrecognized:
                return
                    "That does not look like a code or a redirect URL. A code is letters and digits (about 18); a redirect URL contains ?code=…."
            }
        }
    }

    /// Shorter codes are taken for a copy that lost its end (Bitbucket's have about 18 characters).
    public static let minimumCodeLength = 12

    /// The longest paste considered; beyond it the input cannot be an answer.
    public static let maxLength = 8192

    /// A wrapped copy joined back into one line: each line's surrounding blanks and the line
    /// breaks go (a terminal's wrapping adds them); blanks inside a line stay.
    public static func joiningWrappedLines(_ text: String) -> String {
        guard text.contains(where: \.isNewline) else { return text }
        return wrappedLines(text).joined()
    }

    /// The lines of a wrapped copy, each without the blanks a terminal's wrapping puts around it.
    static func wrappedLines(_ text: String) -> [String] {
        text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
    }

    /// Extracts the authorization code from `text`, checking `state` when the paste carries one.
    public static func code(from text: String, expectedState: String) -> Result<String, Problem> {
        guard text.count <= maxLength else { return .failure(.unrecognized) }
        // A wrapped copy brings line breaks, the indentation and trailing blanks around them, and
        // quotes: none belong to a code or URL. A space inside a line does: that text is words.
        let unquoted = String(text.unicodeScalars.filter { !"\"'<>`".unicodeScalars.contains($0) })
        var cleaned = ""
        for line in wrappedLines(unquoted) {
            if line.unicodeScalars.contains(where: CharacterSet.whitespacesAndNewlines.contains) {
                return .failure(.hasSpaces)
            }
            cleaned += line
        }
        guard !cleaned.isEmpty else { return .failure(.empty) }

        if let query = queryString(in: cleaned) {
            let items = Dictionary(FormDecoder.decode(query), uniquingKeysWith: { first, _ in first })
            if let state = items["state"], state != expectedState {
                // A state that is the start of the expected one: the copy lost its end.
                return .failure(expectedState.hasPrefix(state) ? .cutOff : .stateMismatch)
            }
            if items["state"] == nil, items["code"] != nil, !expectedState.isEmpty { return .failure(.cutOff) }
            if let error = items["error"] {
                return .failure(
                    error == "access_denied"
                        ? .denied(items["error_description"]) : .providerError(error, items["error_description"]))
            }
            guard let code = items["code"], !code.isEmpty else { return .failure(.missingCode) }
            return check(code)
        }
        if cleaned.hasPrefix("http://") || cleaned.hasPrefix("https://") { return .failure(.missingCode) }
        return check(cleaned)
    }

    /// A code is letters, digits and URL-safe marks, and not cut short.
    private static func check(_ code: String) -> Result<String, Problem> {
        guard code.count <= 512, code.unicodeScalars.allSatisfy(isCodeScalar) else { return .failure(.unrecognized) }
        guard code.count >= minimumCodeLength else { return .failure(.truncated(length: code.count)) }
        return .success(code)
    }

    /// The query of a URL, or of a bare `code=…&state=…` fragment.
    static func queryString(in text: String) -> String? {
        if let question = text.firstIndex(of: "?") {
            var query = String(text[text.index(after: question)...])
            if let hash = query.firstIndex(of: "#") { query = String(query[..<hash]) }
            return query
        }
        if text.contains("code=") || text.contains("error=") { return text }
        return nil
    }

    /// Codes are short runs of letters, digits and a few URL-safe marks.
    static func isPlausibleCode(_ code: String) -> Bool {
        (4...512).contains(code.count) && code.unicodeScalars.allSatisfy(isCodeScalar)
    }

    static func isCodeScalar(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
            || "-_.~".unicodeScalars.contains(scalar)
    }
}

/// Decodes `a=1&b=x%20y` (with `+` as space) into ordered pairs.
enum FormDecoder {
    static func decode(_ text: String) -> [(String, String)] {
        text.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }
}
