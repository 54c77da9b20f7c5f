import Foundation
import TestSupport
import Testing

@testable import TerminalUI

@Suite struct JSONSafetyTests {
    @Test func controlsAndBidiAreEscapedAndTheDataSurvives() throws {
        let hostile = "evil\u{9B}31m\u{202E}txt.exe\u{7F}\u{1B}[2J\u{2066}\u{200F}\u{2028}end"
        let encoded = String(decoding: try JSONEncoder().encode(["name": hostile]), as: UTF8.self)
        let safe = JSONSafety.escapeControls(encoded)
        #expect(safe == #"{"name":"evil\u009b31m\u202etxt.exe\u007f\u001b[2J\u2066\u200f\u2028end"}"#)
        #expect(safe.unicodeScalars.allSatisfy { $0.isASCII && ($0.value >= 0x20 || $0 == "\n") })
        let decoded = try JSONDecoder().decode([String: String].self, from: Data(safe.utf8))
        #expect(decoded["name"] == hostile)
    }

    @Test func prettyPrintingWhitespaceStays() {
        #expect(JSONSafety.escapeControls("{\n  \"a\" : \"b\u{85}\"\n}") == "{\n  \"a\" : \"b\\u0085\"\n}")
        #expect(JSONSafety.escapeControls("[\"Zoë 李 🚀\"]") == "[\"Zoë 李 🚀\"]")
    }

    /// Random strings survive an encode, escape, decode round trip, and the escaped text holds no
    /// scalar a terminal would act on.
    @Test(arguments: Array(UInt64(1)...UInt64(25)))
    func roundTripsRandomText(seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        let values = (0..<8).map { _ in HostileScalars.string(&generator, maxScalars: 20) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let safe = JSONSafety.escapeControls(String(decoding: try encoder.encode(values), as: UTF8.self))
        #expect(!safe.unicodeScalars.contains { JSONSafety.needsEscape($0) && $0 != "\n" }, "seed \(seed)")
        #expect(try JSONDecoder().decode([String].self, from: Data(safe.utf8)) == values, "seed \(seed)")
    }
}
