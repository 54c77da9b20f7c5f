// libFuzzer target: a script of keys, typed scalars and pastes never traps a text field, keeps
// its cursor on a character boundary and its drawing inside its box.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTextField(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard bytes.count >= 2 else { return 0 }
    let width = Int(bytes[0] % 16) + 1
    var field = TextFieldState(maxLength: Int(bytes[1] % 64) + 1)
    let keys: [Key] = [
        .left, .right, .home, .end, .backspace, .delete, .ctrl("u"), .ctrl("k"), .ctrl("w"), .ctrl("a"), .ctrl("e"),
        .ctrl("b"), .ctrl("f"), .ctrl("d"), .ctrl("h"),
    ]
    var index = 2
    func scalar() -> Unicode.Scalar? {
        guard index + 2 < bytes.count else { return nil }
        defer { index += 3 }
        let value = (UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])) % 0x110000
        return Unicode.Scalar(value)
    }
    while index < bytes.count {
        let op = bytes[index]
        index += 1
        switch op % 4 {
        case 0, 1:
            if let s = scalar() { field.handle(.character(Character(s))) }
        case 2:
            var text = String.UnicodeScalarView()
            for _ in 0..<Int(op / 4 % 6) { if let s = scalar() { text.append(s) } }
            field.paste(String(text))
        default:
            field.handle(keys[Int(op / 4) % keys.count])
        }
        precondition(field.cursor >= 0 && field.cursor <= field.text.count, "cursor off the text")
        precondition(field.text.count <= field.maxLength, "text over its cap")
        var screen = Screen(size: Size(width: width + 4, height: 1))
        let box = Rect(x: 2, y: 0, width: width, height: 1)
        TextField().render(into: &screen, area: box, state: &field)
        for x in [0, 1, width + 2, width + 3] { precondition(screen[x, 0] == Cell(" "), "drew outside the box") }
        if let cursor = screen.cursor {
            precondition(cursor.x >= box.x && cursor.x < box.maxX, "cursor outside the box")
        }
    }
    return 0
}
