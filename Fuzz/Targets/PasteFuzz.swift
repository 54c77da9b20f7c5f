import Foundation

// libFuzzer target: whatever is pasted, the parser answers without trapping, and a code it
// accepts is always a plausible code, never a fragment carrying other characters.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPaste(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    for state in ["st4te", ""] {
        if case .success(let code) = PastedAuthorization.code(from: text, expectedState: state) {
            precondition(PastedAuthorization.isPlausibleCode(code), "accepted an implausible code")
            // Junk with spaces inside a line is never taken for a code.
            let lines = text.split(whereSeparator: \.isNewline).map {
                String($0.unicodeScalars.filter { !"\"'<>`".unicodeScalars.contains($0) })
                    .trimmingCharacters(in: .whitespaces)
            }
            precondition(!lines.contains { $0.contains(" ") }, "accepted text with spaces inside a line")
        }
        // Joining a wrapped copy never adds characters.
        precondition(PastedAuthorization.joiningWrappedLines(text).count <= text.count)
    }
    _ = RedirectVerdict.judge(path: "/callback", query: text, callbackPath: "/callback", expectedState: "st4te")
    _ = LoopbackHost.isLoopback(text)
    _ = RedirectPage.escape(text)
    return 0
}
