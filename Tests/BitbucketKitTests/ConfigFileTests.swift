import Foundation
import TestSupport
import Testing

@testable import BitbucketKit

/// Writing settings keeps the person's file: every line that is not a key being set stays as it
/// was, in order; each key set appears once, with its new value, and reads back as written.
@Suite struct ConfigFileTests {
    @Test func aNewFileHoldsJustTheSettings() {
        #expect(
            ConfigFile.updating(nil, with: [(key: "A", value: "1"), (key: "B", value: "x y")])
                == "A = \"1\"\nB = \"x y\"\n")
    }

    @Test func randomFilesKeepEveryOtherLine() throws {
        var random = SeededGenerator(seed: 23)
        let keys = ["BITBUCKET_CLIENT_ID", "BITBUCKET_CLIENT_SECRET", "BBTUI_TIMEOUT", "BBTUI_API_URL"]
        for round in 0..<500 {
            var lines: [String] = []
            for _ in 0..<Int.random(in: 0...8, using: &random) {
                switch Int.random(in: 0...4, using: &random) {
                case 0: lines.append("# comment \(Int.random(in: 0...99, using: &random)) = not a key")
                case 1: lines.append("")
                case 2: lines.append("   \(keys.randomElement(using: &random)!)   =  \"v\(round)\"  # note")
                case 3: lines.append("OTHER_\(Int.random(in: 0...3, using: &random)) = bare")
                default: lines.append("\(keys.randomElement(using: &random)!) = \"w\"")
                }
            }
            // (A last blank line needs its newline, or the file would end one line earlier.)
            let ends = lines.last == "" || Bool.random(using: &random)
            let text = lines.isEmpty ? nil : lines.joined(separator: "\n") + (ends ? "\n" : "")
            let updates = keys.shuffled(using: &random).prefix(Int.random(in: 1...2, using: &random)).map {
                (key: $0, value: "new-\($0.count)-\(round)")
            }
            let result = ConfigFile.updating(text, with: updates)
            #expect(result.hasSuffix("\n"))
            let kept = lines.filter { line in
                let key = line.split(separator: "=").first.map { $0.trimmingCharacters(in: .whitespaces) }
                return line.hasPrefix("#") || !updates.contains { $0.key == key }
            }
            let resultLines = result.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(
                String.init)
            #expect(resultLines.filter { kept.contains($0) || $0.isEmpty } == kept, "round \(round)")
            // Read line by line (the random lines are not all TOML: the file is the person's).
            let pairs = ConfigDocumentTests.before(result)
            for update in updates {
                #expect(pairs.filter { $0.0 == update.key }.map(\.1) == [update.value], "round \(round): \(update.key)")
            }
        }
    }

    @Test func valuesTheReaderCannotHoldAreRefused() {
        #expect(ConfigFile.canHold("emuKey4bbtuiDemo01"))
        #expect(!ConfigFile.canHold("a\"b"))
        #expect(!ConfigFile.canHold("a\\b"))
        #expect(!ConfigFile.canHold("a\nb"))
        #expect(ConsumerSetup.problem(with: " key", named: "Key") != nil)
        #expect(ConsumerSetup.problem(with: "", named: "Key") == "the Key is empty")
        #expect(ConsumerSetup.problem(with: "k3y", named: "Key") == nil)
    }
}
