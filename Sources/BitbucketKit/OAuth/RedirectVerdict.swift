import Foundation

/// How a login that the listener delivered ended, for the browser page.
public enum RedirectOutcome: Sendable, Equatable {
    /// The account is stored; the name is shown.
    case loggedIn(String)
    /// The exchange or the probe failed; the message is shown (escaped).
    case failed(String)
}

/// What the listener answers to one request on its port.
enum RedirectVerdict: Equatable {
    /// The current attempt's code: deliver it, and hold the page until the outcome is known.
    case code(String)
    /// The current attempt's refusal (`error=…` with the right state): deliver it.
    case refused(error: String, description: String?)
    /// Not for this attempt, or not a redirect at all: answer why, deliver nothing.
    case ignored(status: Int, title: String, message: String)

    /// Judges a request line's path and query against the callback path and the attempt's state.
    static func judge(path: String, query: String, callbackPath: String, expectedState: String) -> RedirectVerdict {
        guard path == callbackPath else {
            return .ignored(
                status: 404, title: "Nothing here",
                message: "bbtui is waiting for the Bitbucket redirect on \(callbackPath), not on this address.")
        }
        let items = Dictionary(FormDecoder.decode(query), uniquingKeysWith: { first, _ in first })
        guard let state = items["state"], !state.isEmpty else {
            return .ignored(
                status: 400, title: "Ignored: no state",
                message:
                    "This address carries no state, so it cannot be the answer to the login bbtui started. It was ignored; bbtui is still waiting. Approve the URL shown in the terminal."
            )
        }
        guard constantTimeEquals(state, expectedState) else {
            return .ignored(
                status: 400, title: "Ignored: a different login",
                message:
                    "This redirect belongs to a different login attempt (its state does not match the URL shown in the terminal now). It was ignored; bbtui is still waiting. Approve the URL shown in the terminal."
            )
        }
        if let error = items["error"] {
            return .refused(error: error, description: items["error_description"])
        }
        guard let code = items["code"], PastedAuthorization.isPlausibleCode(code) else {
            return .ignored(
                status: 400, title: "Ignored: no code",
                message:
                    "This address has no authorization code in it. It was ignored; bbtui is still waiting. Approve the URL shown in the terminal."
            )
        }
        return .code(code)
    }

    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// The HTML pages the listener answers with; every variable part is escaped.
enum RedirectPage {
    static func html(title: String, message: String, next: String? = nil) -> String {
        """
        <!DOCTYPE html><html><head><meta charset="utf-8"><title>bbtui: \(escape(title))</title></head>
        <body style="font-family: sans-serif; margin: 4em; max-width: 40em;"><h1>\(escape(title))</h1>
        <p>\(escape(message))</p>\(next.map { "<p>\(escape($0))</p>" } ?? "")</body></html>
        """
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
                    || (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
                {
                    out += "&#\(scalar.value);"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    static func outcome(_ outcome: RedirectOutcome?) -> (status: Int, html: String) {
        switch outcome {
        case .loggedIn(let name)?:
            return (
                200,
                html(
                    title: "Logged in", message: "bbtui is logged in as \(name).",
                    next: "You can close this tab and go back to the terminal.")
            )
        case .failed(let message)?:
            return (
                200,
                html(
                    title: "The login did not finish", message: message,
                    next: "Go back to the terminal: it says what to do next.")
            )
        case nil:
            return (
                200,
                html(
                    title: "Code received",
                    message: "bbtui received the code but has not finished logging in yet (or stopped waiting).",
                    next: "Go back to the terminal to see whether the login finished.")
            )
        }
    }
}
