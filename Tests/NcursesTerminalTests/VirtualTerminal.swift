import TerminalUI

/// A small VT100/xterm screen model for tests: it replays the bytes curses wrote and shows the
/// text a person would see. It knows what ncurses emits for xterm-256color (cursor addressing,
/// erasing, repeat, insert/delete) and ignores attributes.
struct VirtualTerminal {
    private(set) var width: Int
    private(set) var height: Int
    private var grid: [[String]]
    private var x = 0
    private var y = 0
    private var pendingWrap = false
    private var saved = (0, 0)
    private var lastPrinted = " "
    private var pending: [UInt8] = []
    /// Every OSC payload seen (for clipboard tests).
    private(set) var oscPayloads: [String] = []
    /// DEC private modes currently set (2004 bracketed paste, 1049 alternate screen, 1000 mouse…).
    private(set) var privateModes: Set<Int> = []

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        grid = Array(repeating: Array(repeating: " ", count: width), count: height)
    }

    /// The visible rows, trailing blanks removed, wide characters' right halves skipped.
    var lines: [String] {
        grid.map { row in
            var line = row.joined()
            while line.last == " " { line.removeLast() }
            return line
        }
    }

    mutating func feed(_ bytes: [UInt8]) {
        pending += bytes
        var index = 0
        while index < pending.count {
            guard let used = step(at: index) else { break }
            index += used
        }
        pending.removeFirst(index)
    }

    // Returns bytes consumed, or nil when more are needed.
    private mutating func step(at index: Int) -> Int? {
        let byte = pending[index]
        switch byte {
        case 0x1B:
            guard index + 1 < pending.count else { return nil }
            let next = pending[index + 1]
            switch next {
            case UInt8(ascii: "["): return csi(at: index)
            case UInt8(ascii: "]"), UInt8(ascii: "P"): return stringSequence(at: index)
            case UInt8(ascii: "("), UInt8(ascii: ")"): return index + 2 < pending.count ? 3 : nil
            case UInt8(ascii: "7"):
                saved = (x, y)
                return 2
            case UInt8(ascii: "8"):
                (x, y) = saved
                pendingWrap = false
                return 2
            case UInt8(ascii: "M"):
                if y == 0 { scrollDown(from: 0) } else { y -= 1 }
                return 2
            default: return 2
            }
        case 0x0D:
            x = 0
            pendingWrap = false
            return 1
        case 0x0A:
            lineFeed()
            return 1
        case 0x08:
            x = max(0, x - 1)
            pendingWrap = false
            return 1
        case 0x09:
            x = min(width - 1, (x / 8 + 1) * 8)
            return 1
        case 0x00..<0x20: return 1
        default:
            let length: Int
            switch byte {
            case 0xC0..<0xE0: length = 2
            case 0xE0..<0xF0: length = 3
            case 0xF0...: length = 4
            default: length = 1
            }
            guard index + length <= pending.count else { return nil }
            let text = String(decoding: pending[index..<(index + length)], as: UTF8.self)
            print(text)
            return length
        }
    }

    private mutating func print(_ text: String) {
        guard let scalar = text.unicodeScalars.first else { return }
        let w = DisplayWidth.width(of: scalar)
        if w == 0 {
            // Combining: attach to the previous cell.
            let px = max(0, x - 1)
            grid[y][px] += text
            return
        }
        if pendingWrap {
            x = 0
            lineFeed()
            pendingWrap = false
        }
        if w == 2 && x == width - 1 {
            grid[y][x] = " "
            x = 0
            lineFeed()
        }
        grid[y][x] = text
        if w == 2 && x + 1 < width { grid[y][x + 1] = "" }
        lastPrinted = text
        if x + w >= width {
            x = width - 1
            pendingWrap = true
        } else {
            x += w
        }
    }

    private mutating func lineFeed() {
        if y == height - 1 {
            grid.removeFirst()
            grid.append(Array(repeating: " ", count: width))
        } else {
            y += 1
        }
    }

    private mutating func scrollDown(from top: Int) {
        grid.insert(Array(repeating: " ", count: width), at: top)
        grid.removeLast()
    }

    private mutating func stringSequence(at index: Int) -> Int? {
        var end = index + 2
        while end < pending.count {
            if pending[end] == 0x07 {
                oscPayloads.append(String(decoding: pending[(index + 2)..<end], as: UTF8.self))
                return end - index + 1
            }
            if pending[end] == 0x1B, end + 1 < pending.count, pending[end + 1] == UInt8(ascii: "\\") {
                oscPayloads.append(String(decoding: pending[(index + 2)..<end], as: UTF8.self))
                return end - index + 2
            }
            end += 1
        }
        return nil
    }

    private mutating func csi(at index: Int) -> Int? {
        var end = index + 2
        while end < pending.count, !(0x40...0x7E).contains(pending[end]) { end += 1 }
        guard end < pending.count else { return nil }
        let raw = String(decoding: pending[(index + 2)..<end], as: UTF8.self)
        let isPrivate = raw.hasPrefix("?")
        let params = raw.drop(while: { $0 == "?" || $0 == ">" }).split(separator: ";", omittingEmptySubsequences: false)
            .map { Int($0) ?? 0 }
        func p(_ i: Int, _ d: Int) -> Int { i < params.count && params[i] != 0 ? params[i] : d }
        let final = pending[end]
        if final != UInt8(ascii: "m") { pendingWrap = false }
        switch final {
        case UInt8(ascii: "H"), UInt8(ascii: "f"):
            y = min(height - 1, p(0, 1) - 1)
            x = min(width - 1, p(1, 1) - 1)
        case UInt8(ascii: "A"): y = max(0, y - p(0, 1))
        case UInt8(ascii: "B"): y = min(height - 1, y + p(0, 1))
        case UInt8(ascii: "C"): x = min(width - 1, x + p(0, 1))
        case UInt8(ascii: "D"): x = max(0, x - p(0, 1))
        case UInt8(ascii: "G"), UInt8(ascii: "`"): x = min(width - 1, p(0, 1) - 1)
        case UInt8(ascii: "d"): y = min(height - 1, p(0, 1) - 1)
        case UInt8(ascii: "K"):
            let mode = params.first ?? 0
            let range = mode == 0 ? x..<width : mode == 1 ? 0..<(x + 1) : 0..<width
            for c in range { grid[y][c] = " " }
        case UInt8(ascii: "J"):
            let mode = params.first ?? 0
            if mode == 0 {
                for c in x..<width { grid[y][c] = " " }
                for r in (y + 1)..<max(y + 1, height) { grid[r] = Array(repeating: " ", count: width) }
            } else if mode == 1 {
                for r in 0..<y { grid[r] = Array(repeating: " ", count: width) }
                for c in 0...x { grid[y][c] = " " }
            } else {
                grid = Array(repeating: Array(repeating: " ", count: width), count: height)
            }
        case UInt8(ascii: "X"):
            for c in x..<min(width, x + p(0, 1)) { grid[y][c] = " " }
        case UInt8(ascii: "b"):
            for _ in 0..<p(0, 1) { print(lastPrinted) }
        case UInt8(ascii: "@"):
            for _ in 0..<p(0, 1) {
                grid[y].insert(" ", at: x)
                grid[y].removeLast()
            }
        case UInt8(ascii: "P"):
            for _ in 0..<p(0, 1) {
                grid[y].remove(at: x)
                grid[y].append(" ")
            }
        case UInt8(ascii: "L"):
            for _ in 0..<p(0, 1) {
                grid.insert(Array(repeating: " ", count: width), at: y)
                grid.removeLast()
            }
        case UInt8(ascii: "M"):
            for _ in 0..<p(0, 1) {
                grid.remove(at: y)
                grid.append(Array(repeating: " ", count: width))
            }
        case UInt8(ascii: "h") where isPrivate:
            for mode in params { privateModes.insert(mode) }
        case UInt8(ascii: "l") where isPrivate:
            for mode in params { privateModes.remove(mode) }
        default:
            break
        }
        return end - index + 1
    }
}
