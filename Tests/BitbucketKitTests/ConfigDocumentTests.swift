import Foundation
import TestSupport
import Testing

@testable import BitbucketKit

/// Issue 22 (its first part): the config file is TOML, read by TOMLKit. Every file written
/// before reads the same; every mistake names its line (and column) and what was expected.
@Suite struct ConfigDocumentTests {
    /// `Resources/config.example` as it was before the change (d828d2b).
    static let exampleBefore = """
        # bbtui configuration: copy to ~/.config/bbtui/config (or $XDG_CONFIG_HOME/bbtui/config)
        # and keep it private: chmod 600 ~/.config/bbtui/config (bbtui refuses a file holding
        # the secret that others can read)
        # One KEY = "value" per line; the environment overrides every key here.

        # The OAuth consumer (Workspace settings → OAuth consumers → Add consumer):
        # callback http://127.0.0.1:8976/callback, private, permissions Account: Read,
        # Account: Email, Workspace membership: Read, Repositories: Read.
        BITBUCKET_CLIENT_ID = "your consumer Key"
        BITBUCKET_CLIENT_SECRET = "your consumer Secret"

        # Only when the consumer's callback URL differs from the default; it is then sent
        # with the authorization request and must match the consumer's exactly.
        # BBTUI_REDIRECT_URI = "http://127.0.0.1:8976/callback"

        # Endpoints (Bitbucket Cloud's by default). Plain http is refused except to loopback.
        # BBTUI_AUTHORIZE_URL = "https://bitbucket.org/site/oauth2/authorize"
        # BBTUI_TOKEN_URL = "https://bitbucket.org/site/oauth2/access_token"
        # BBTUI_API_URL = "https://api.bitbucket.org/2.0"

        # Limits, in seconds: one HTTP request in all (connect, headers, body), and one
        # command in all (`bbtui repos`, retries included).
        # BBTUI_TIMEOUT = "30"
        # BBTUI_COMMAND_TIMEOUT = "300"
        """

    /// The reader before the change, kept here to compare with: `KEY = "value"` lines.
    static func before(_ text: String) -> [(String, String)] {
        var pairs: [(String, String)] = []
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\"") {
                guard let close = value.dropFirst().firstIndex(of: "\"") else { continue }
                value = String(value[value.index(after: value.startIndex)..<close])
            }
            pairs.append((key, value))
        }
        return pairs
    }

    func read(_ text: String) throws(ConfigurationError) -> [String: String] {
        Dictionary(
            try ConfigDocument.settings(text, path: "/c/config", known: Settings.keys), uniquingKeysWith: { $1 })
    }

    @Test func theExampleFromBeforeReadsTheSameAndSoDoesEverySettingInIt() throws {
        #expect(try read(Self.exampleBefore) == Dictionary(Self.before(Self.exampleBefore), uniquingKeysWith: { $1 }))
        #expect(
            try read(Self.exampleBefore) == [
                "BITBUCKET_CLIENT_ID": "your consumer Key", "BITBUCKET_CLIENT_SECRET": "your consumer Secret",
            ])
        // Every commented setting switched on.
        let all = Self.exampleBefore.replacingOccurrences(of: "# BBTUI_", with: "BBTUI_")
        #expect(try read(all) == Dictionary(Self.before(all), uniquingKeysWith: { $1 }))
        #expect(try read(all).count == 8)
    }

    @Test func randomFilesOfQuotedLinesReadAsBefore() throws {
        var random = SeededGenerator(seed: 22)
        let characters = Array("abcXYZ019 ./:-_#=é李🚀'")
        for _ in 0..<300 {
            var text = ""
            for key in Settings.keys.shuffled(using: &random).prefix(Int.random(in: 0...5, using: &random)) {
                let value = String(
                    (0..<Int.random(in: 0...20, using: &random)).map { _ in characters.randomElement(using: &random)! })
                let spaces = String(repeating: " ", count: Int.random(in: 0...2, using: &random))
                if Bool.random(using: &random) { text += "# a comment\n" }
                text += "\(key)\(spaces)=\(spaces)\"\(value)\"\n"
            }
            #expect(try read(text) == Dictionary(Self.before(text), uniquingKeysWith: { $1 }), "\(text)")
        }
    }

    @Test func numbersAreReadAsWritten() throws {
        #expect(
            try read("BBTUI_TIMEOUT = 45\nBBTUI_COMMAND_TIMEOUT = 2.5\n") == [
                "BBTUI_TIMEOUT": "45", "BBTUI_COMMAND_TIMEOUT": "2.5",
            ])
    }

    @Test func eachMistakeNamesItsLineAndWhatWasExpected() {
        func mistake(_ text: String) -> String {
            do {
                _ = try read(text)
                return "no error"
            } catch {
                return error.description
            }
        }
        let syntax = mistake("BBTUI_TIMEOUT = \"30\"\nBBTUI_API_URL = \"https://x\n")
        #expect(syntax.hasPrefix("/c/config:2:"), "\(syntax)")
        #expect(syntax.lowercased().contains("string"), "\(syntax)")
        let bare = mistake("BBTUI_API_URL = https://api.example\n")
        #expect(bare.hasPrefix("/c/config:1:"), "\(bare)")
        #expect(bare.hasSuffix(" (write the value in quotes: BBTUI_API_URL = \"https://api.example\")"), "\(bare)")
        #expect(
            mistake("# mine\nBBTUI_TIMOUT = \"3\"\n")
                == "/c/config:2: bbtui has no setting BBTUI_TIMOUT. Did you mean BBTUI_TIMEOUT?")
        #expect(
            mistake("bbtui_clone_dir = \"~/src\"\n")
                == "/c/config:1: bbtui has no setting bbtui_clone_dir. Did you mean BBTUI_CLONE_DIR?")
        #expect(
            mistake("colour = \"red\"\n")
                == "/c/config:1: bbtui has no setting colour. The settings are listed in the README (Configuration) and in `man bbtui` (ENVIRONMENT)."
        )
        #expect(
            mistake("BBTUI_TIMEOUT = \"1\"\n\n[BBTUI_API_URL]\nx = 1\n")
                == "/c/config:3: BBTUI_API_URL takes a string (\"…\") or a number, not a table.")
        #expect(
            mistake("BBTUI_TIMEOUT = [1, 2]\n")
                == "/c/config:1: BBTUI_TIMEOUT takes a string (\"…\") or a number, not an array.")
        let twice = mistake("BBTUI_TIMEOUT = \"1\"\nBBTUI_TIMEOUT = \"2\"\n")
        #expect(twice.hasPrefix("/c/config:2:"), "\(twice)")
        // The first mistake in the file is the one named.
        #expect(mistake("zzz = 1\nBBTUI_TIMOUT = 2\n").hasPrefix("/c/config:1:"))
    }
}
