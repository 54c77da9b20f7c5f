// libFuzzer target: whatever is pasted, the parser answers without trapping, and a code it
// accepts is always a plausible code, never a fragment carrying other characters.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPaste(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    for state in ["st4te", ""] {
        if case .success(let code) = PastedAuthorization.code(from: text, expectedState: state) {
            precondition(PastedAuthorization.isPlausibleCode(code), "accepted an implausible code")
        }
    }
    _ = RedirectVerdict.judge(path: "/callback", query: text, callbackPath: "/callback", expectedState: "st4te")
    _ = LoopbackHost.isLoopback(text)
    _ = RedirectPage.escape(text)
    return 0
}
