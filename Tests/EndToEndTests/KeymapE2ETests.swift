import BitbucketKit
import Foundation
import Testing

// Nested in TUITests, whose .serialized keeps end-to-end suites from starving the timing tests.
extension TUITests {
    /// Issue 22: the config file's keys drive the real program, its screens show them, and a
    /// custom command gets each placeholder as exactly one argument, whatever the network sent.
    @Suite struct KeymapE2ETests {
        /// The main branch the emulator's `--hostile` data gives every 50th repository from the 8th.
        static let hostileBranch = "-x; $(touch pwned) `id` 'q' \"d\" a b\n\u{1B}[2J\u{1B}]0;t\u{07}end"

        @Test func remappedKeysDriveTheAppAndItsScreensShowThem() async throws {
            let account = try await E2EAccount.loggedIn()
            defer { account.close() }
            try """
            [keys]
            down = ["J", "Down"]
            filter = "f"
            help = "H"
            quit = ["Z", "Ctrl-C"]
            """.write(toFile: account.home.path + "/config", atomically: true, encoding: .utf8)
            let tmux = try account.tmux(width: 120, height: 30)
            defer { tmux.kill() }
            try #require(tmux.waitFor("Repositories · 60"), "\(tmux.capture())")
            // The footer and the legend name the new keys, not the old ones.
            try #require(tmux.waitFor("f filter"), "\(tmux.capture())")
            #expect(tmux.contains("Z quit"), "\(tmux.capture())")
            #expect(tmux.contains("H    all keys"), "\(tmux.capture())")
            #expect(!tmux.contains("/ filter") && !tmux.contains("q quit"), "\(tmux.capture())")
            // The old keys do nothing; the new ones work.
            tmux.keys("j")
            tmux.keys("J")
            try #require(tmux.waitFor("2/60"), "\(tmux.capture())")
            tmux.type("f")
            try #require(tmux.waitFor("type to filter"), "\(tmux.capture())")
            tmux.keys("Escape")
            try #require(tmux.waitUntil { !tmux.contains("type to filter") }, "\(tmux.capture())")
            tmux.keys("H")
            try #require(tmux.waitFor("J ↓"), "\(tmux.capture())")
            tmux.keys("Escape")
            try #require(tmux.waitUntil { !tmux.contains("J ↓") }, "\(tmux.capture())")
            tmux.keys("q")
            tmux.keys("Z")
            try #require(tmux.waitFor("EXITED:0"), "\(tmux.capture())")
        }

        @Test func aMistakeInTheKeysIsNamedAndTheDefaultsWork() async throws {
            let account = try await E2EAccount.loggedIn()
            defer { account.close() }
            let config = account.home.path + "/config"
            try "[keys]\ndown = \"k\"\n".write(toFile: config, atomically: true, encoding: .utf8)
            let result = try await account.run(["whoami"])
            #expect(result.status == 64)
            #expect(
                result.stderr
                    == "bbtui: \(config):2: k is both down and up in the browser; give one of them another key, or unbind = [\"k\"] first\n"
            )
            // `doctor` names it too, and fails.
            let doctor = try await account.run(["doctor"])
            #expect(doctor.status == 1)
            #expect(
                doctor.stdout.contains(
                    "FAIL  Keys: \(config):2: k is both down and up in the browser; give one of them another key"),
                "\(doctor.stdout)")
            let tmux = try account.tmux(width: 160, height: 30)
            defer { tmux.kill() }
            try #require(tmux.waitFor("Repositories · 60"), "\(tmux.capture())")
            try #require(tmux.waitFor("The config file was not used: \(config):2: k is both"), "\(tmux.capture())")
            tmux.keys("q")
            try #require(tmux.waitFor("EXITED:0"), "\(tmux.capture())")
        }

        /// The emulator's hostile data through a recording program: one argument per placeholder,
        /// byte for byte, nothing run by a shell, and the status line says how it ended.
        @Test func hostileDataReachesACommandAsOneArgumentPerPlaceholder() async throws {
            let account = try await E2EAccount.loggedIn(["--hostile", "--repos", "60"])
            defer { account.close() }
            let listed = try await account.run(["repos", "--json"])
            #expect(listed.status == 0, "\(listed.stderr)")
            let repositories = try #require(
                try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
            let target = try #require(
                repositories.first { ($0["mainbranch"] as? String)?.contains("touch pwned") == true },
                "no repository with the hostile branch")
            let fullName = try #require(target["full_name"] as? String)
            let slug = try #require(target["slug"] as? String)
            let project = try #require(target["project"] as? String)
            let record = account.home.path + "/args"
            try """
            [[commands]]
            key = "b"
            title = "record"
            run = ["sh", "-c", "printf '%s\\\\0' \\"$@\\" > '\(record)'; echo recorded $#", "_", "{mainbranch}", "{slug}", "{full_name}", "{project}", "--{slug}"]
            background = true

            [[commands]]
            key = "v"
            run = ["sh", "-c", "echo \\"here: $1\\"; read line; echo 'it went wrong' >&2; exit 3", "_", "{slug}"]
            """.write(toFile: account.home.path + "/config", atomically: true, encoding: .utf8)
            let tmux = try account.tmux(width: 160, height: 30)
            defer { tmux.kill() }
            try #require(tmux.waitFor("Repositories · 60"), "\(tmux.capture())")
            tmux.type("/" + fullName)
            try #require(tmux.waitFor("/" + fullName), "\(tmux.capture())")
            tmux.keys("Enter")
            try #require(tmux.waitFor("filter: \(fullName) (1)"), "\(tmux.capture())")
            tmux.keys("b")
            try #require(tmux.waitFor("record: recorded 5"), "\(tmux.capture())")
            let recorded = try String(contentsOfFile: record, encoding: .utf8)
            #expect(
                recorded.split(separator: "\0", omittingEmptySubsequences: false).map(String.init)
                    == [Self.hostileBranch, slug, fullName, project, "--" + slug, ""])
            #expect(!FileManager.default.fileExists(atPath: account.home.path + "/pwned"))
            // The screen held: the title never changed, no escape reached it.
            #expect(!tmux.capture(escapes: true).contains("]0;t"))
            // In the foreground the program has the terminal; its failure comes back in words.
            tmux.keys("v")
            try #require(tmux.waitFor("here: \(slug)"), "\(tmux.capture())")
            tmux.keys("Enter")
            try #require(tmux.waitFor("sh failed (exit 3): it went wrong"), "\(tmux.capture())")
            try #require(tmux.waitFor("Repositories · 60"), "\(tmux.capture())")
        }

        /// Ctrl-C while a program has the terminal stops the program, not bbtui (started by a
        /// shell with job control, as a person's shell starts it).
        @Test func ctrlCInAForegroundCommandIsTheCommands() async throws {
            let account = try await E2EAccount.loggedIn()
            defer { account.close() }
            try """
            [[commands]]
            key = "b"
            title = "wait"
            run = ["sh", "-c", "echo waiting; exec sleep 60"]
            context = "browser"
            """.write(toFile: account.home.path + "/config", atomically: true, encoding: .utf8)
            let tmux = try Tmux(
                width: 120, height: 30, command: "set -m; '\(Binary.path)'", environment: account.environment,
                directory: account.home.path)
            defer { tmux.kill() }
            try #require(tmux.waitFor("Repositories · 60"), "\(tmux.capture())")
            tmux.keys("b")
            try #require(tmux.waitFor("waiting"), "\(tmux.capture())")
            tmux.keys("C-c")
            try #require(tmux.waitFor("wait failed (killed by signal 2)"), "\(tmux.capture())")
            try #require(tmux.waitFor("Repositories · 60"), "\(tmux.capture())")
            // bbtui still reads its keys, and quits as usual.
            tmux.keys("q")
            try #require(tmux.waitFor("EXITED:0"), "\(tmux.capture())")
        }
    }
}
