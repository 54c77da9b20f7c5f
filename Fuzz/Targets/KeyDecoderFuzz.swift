// libFuzzer target: any bytes, in any chunks, with Esc timeouts and paste silences anywhere,
// decode without trapping; a paste never exceeds its cap; nothing stays pending after a flush,
// and no paste stays open after a silence.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKeyDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    var decoder = KeyDecoder()
    var events: [TerminalEvent] = []
    var index = 1
    var chunk = Int(first % 7) + 1
    while index < bytes.count {
        let end = min(bytes.count, index + chunk)
        events += decoder.feed(bytes[index..<end])
        // A quiet period after some chunks: what is pending is taken as complete.
        if bytes[end - 1] & 0x0F == 0x0F { events += decoder.flushPending() }
        // A silence of a second: a paste still open ends there.
        if bytes[end - 1] & 0x3F == 0x3E {
            events += decoder.closeUnfinishedPaste()
            precondition(!decoder.isInPaste, "a paste stayed open after its silence")
        }
        index = end
        chunk = Int(bytes[end - 1] % 9) + 1
    }
    events += decoder.flushPending()
    precondition(!decoder.hasPending, "bytes left pending after a flush")
    for event in events {
        if case .paste(let text) = event { precondition(text.utf8.count <= KeyDecoder.maxPasteBytes) }
        if case .key(.character(let c)) = event { precondition(c.unicodeScalars.count == 1) }
    }
    return 0
}
