/// Builds the OSC 52 escape sequences that set the clipboard of the person's own terminal.
///
/// OSC 52 travels through SSH untouched, which is why it is the only clipboard that works on a
/// remote machine with no display. Inside tmux or screen the sequence is also sent wrapped in the
/// multiplexer's passthrough envelope (ESC doubled inside), because tmux forwards a bare one
/// only with `set-clipboard on`, and a wrapped one only with `allow-passthrough on`.
public enum OSC52 {
    /// The most base64 bytes sent; many terminals drop longer sequences (xterm: ~100 kB).
    public static let maxEncodedBytes = 74_994

    /// Which multiplexer the program runs in, from its environment.
    public static func multiplexer(environment: [String: String]) -> String? {
        if let tmux = environment["TMUX"], !tmux.isEmpty { return "tmux" }
        if let sty = environment["STY"], !sty.isEmpty { return "screen" }
        return nil
    }

    /// The bytes to write for `text`, and the result to report.
    public static func sequences(for text: String, multiplexer: String?) -> (bytes: String, result: ClipboardResult) {
        let encoded = Base64.encode(Array(text.utf8))
        guard encoded.utf8.count <= maxEncodedBytes else { return ("", .tooLarge(bytes: text.utf8.count)) }
        let plain = "\u{1B}]52;c;" + encoded + "\u{07}"
        switch multiplexer {
        case "tmux":
            let inner = plain.replacingEscapes()
            return (plain + "\u{1B}Ptmux;" + inner + "\u{1B}\\", .osc52Passthrough("tmux"))
        case "screen":
            return ("\u{1B}P" + plain + "\u{1B}\\", .osc52Passthrough("screen"))
        default:
            return (plain, .osc52)
        }
    }
}

extension String {
    /// Doubles every ESC, as tmux's passthrough envelope requires.
    fileprivate func replacingEscapes() -> String {
        var out = ""
        for character in self {
            if character == "\u{1B}" { out += "\u{1B}\u{1B}" } else { out.append(character) }
        }
        return out
    }
}

/// Standard base64 (RFC 4648, with padding), so TerminalUI needs no Foundation.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Encodes bytes.
    public static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 2 < bytes.count {
            let n = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
            out.append(alphabet[Int(n & 63)])
            index += 3
        }
        let rest = bytes.count - index
        if rest == 1 {
            let n = UInt32(bytes[index]) << 16
            out.append(contentsOf: [
                alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], UInt8(ascii: "="), UInt8(ascii: "="),
            ])
        } else if rest == 2 {
            let n = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            out.append(contentsOf: [
                alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], UInt8(ascii: "="),
            ])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
