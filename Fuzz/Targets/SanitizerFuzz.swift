import Foundation

// libFuzzer target: the sanitiser lets no control or bidi override through and never widens a
// cluster past its cap; JSON escaping round-trips and leaves nothing a terminal acts on.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSanitizer(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    for mode in [Sanitizer.Newlines.placeholder, .keep, .space] {
        let safe = Sanitizer.sanitize(text, newlines: mode)
        for scalar in safe.unicodeScalars {
            if mode == .keep, scalar == "\n" { continue }
            precondition(
                Sanitizer.placeholder(for: scalar) == nil || scalar == " ", "a control got through: \(scalar.value)")
        }
        _ = DisplayWidth.of(safe)
    }
    var screen = Screen(size: Size(width: 7, height: 1))
    screen.put(Sanitizer.sanitize(text), x: 0, y: 0, width: 7)
    precondition(screen.line(0).unicodeScalars.allSatisfy { Sanitizer.placeholder(for: $0) == nil || $0 == " " })
    if let encoded = try? JSONEncoder().encode([text]) {
        let escaped = JSONSafety.escapeControls(String(decoding: encoded, as: UTF8.self))
        precondition(!escaped.unicodeScalars.contains { JSONSafety.needsEscape($0) }, "JSON left a control raw")
        let back = try? JSONDecoder().decode([String].self, from: Data(escaped.utf8))
        precondition(back == [text], "JSON escaping changed the data")
    }
    return 0
}
