import BitbucketKit
import Foundation
import Testing

// Nested in TUITests, whose .serialized covers them: the tmux tests block a thread of the
// concurrency pool while they wait, and two at once would starve every other test's timers.
extension TUITests {
    /// A signal that arrives while a refresh is between Bitbucket's answer and the store never
    /// loses the session: the process stores the new pair, then exits with the signal's status.
    /// The emulator holds the token endpoint's answer after it has replaced the refresh token, so
    /// every signal below lands exactly inside that window.
    @Suite struct SignalTests {
        /// A logged-in account whose tokens always need a refresh (they live 30 s, less than the
        /// 60 s bbtui refreshes ahead of expiry) and whose rotated refresh tokens die at once (unless
        /// `grace` says otherwise).
        func account(grace: String = "0") async throws -> E2EAccount {
            try await E2EAccount.loggedIn(["--token-ttl", "30", "--refresh-grace", grace])
        }

        /// Runs `bbtui whoami` and sends it `signals` at the one moment that matters: the emulator
        /// holds the refresh's answer after it has replaced the refresh token (`/_emulator/hold`),
        /// so each signal lands inside the window however loaded the machine is; then the answer is
        /// released. Returns the process, ended, and its stderr.
        func signalDuringRefresh(_ account: E2EAccount, _ signals: [Int32]) async throws -> (Process, String) {
            let baseline = try await refreshes(account.emulator)
            try await account.emulator.post("/_emulator/hold")
            let (process, errors) = try launch(["whoami"], environment: account.environment)
            try await waitForRefresh(account.emulator, after: baseline)
            #expect(process.isRunning, "the refresh ended before the signal could be sent")
            for signal in signals { kill(process.processIdentifier, signal) }
            try await account.emulator.post("/_emulator/release")
            let stderr = await finish(process, errors)
            return (process, stderr)
        }

        /// The refresh grants the emulator has issued so far.
        func refreshes(_ emulator: EmulatorProcess) async throws -> Int {
            (try await emulator.stats()["grants"] as? [String: Int])?["refresh_token"] ?? 0
        }

        /// Waits until the emulator has issued one more refresh grant than `after` (its answer is
        /// now on its way, and the refresh token it replaced is dead).
        func waitForRefresh(_ emulator: EmulatorProcess, after: Int) async throws {
            let url = emulator.baseURL + "/_emulator/wait?grant=refresh_token&count=\(after + 1)&timeout_ms=15000"
            let response = try await plainTransport.send(HTTPRequest(url: URL(string: url)!))
            #expect(response.status == 200, "the refresh never reached the emulator")
        }

        func launch(_ arguments: [String], environment: [String: String]) throws -> (Process, Pipe) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Binary.path)
            process.arguments = arguments
            process.environment = environment
            let errors = Pipe()
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = errors
            try process.run()
            return (process, errors)
        }

        /// Waits for the process to end on a thread of its own (blocking the concurrency pool's two
        /// threads would hold up every other test's timers), with what it wrote to stderr.
        func finish(_ process: Process, _ errors: Pipe? = nil) async -> String {
            await withCheckedContinuation { continuation in
                Thread {
                    let stderr = errors?.fileHandleForReading.readDataToEndOfFile() ?? Data()
                    process.waitUntilExit()
                    continuation.resume(returning: String(decoding: stderr, as: UTF8.self))
                }.start()
            }
        }

        @Test(arguments: [SIGHUP, SIGTERM, SIGINT, SIGQUIT])
        func aSignalDuringARefreshWaitsForItsCommitThenExitsWithItsStatus(signal: Int32) async throws {
            let account = try await account()
            defer { account.close() }
            let before = try #require(try account.store().activeAccount())
            // A second signal does not cut the wait short.
            let (process, stderr) = try await signalDuringRefresh(account, [signal, signal])
            #expect(process.terminationReason == .exit)
            #expect(process.terminationStatus == 128 + signal, "\(stderr)")

            // The pair Bitbucket issued is the one stored, and the session goes on: the old refresh
            // token is already dead (no grace), so only the stored new one can work.
            let after = try #require(try account.store().activeAccount())
            #expect(after.token.refreshToken != before.token.refreshToken)
            #expect(after.refreshStartedAt == nil)
            let next = try await account.run(["whoami"])
            #expect(next.status == 0, "\(next.stderr)")
            #expect(try await account.emulator.stats()["refresh_token_reuses"] as? Int == 0)
        }

        @Test func aSIGKILLWithinTheGraceLosesNothing() async throws {
            let account = try await account(grace: "600")
            defer { account.close() }
            let (process, _) = try await signalDuringRefresh(account, [SIGKILL])
            #expect(process.terminationReason == .uncaughtSignal)
            #expect(try account.store().activeAccount()?.refreshStartedAt != nil)

            // The stored refresh token was replaced a moment ago: Bitbucket still takes it.
            let next = try await account.run(["whoami"])
            #expect(next.status == 0, "\(next.stderr)")
            #expect(try await account.emulator.stats()["refresh_token_reuses"] as? Int == 1)
            #expect(try account.store().activeAccount()?.refreshStartedAt == nil)
        }

        @Test func aSIGKILLPastTheGraceIsExplainedNotJustLogInAgain() async throws {
            let account = try await account()
            defer { account.close() }
            _ = try await signalDuringRefresh(account, [SIGKILL])
            let startedAt = try #require(try account.store().activeAccount()?.refreshStartedAt)

            let next = try await account.run(["whoami"])
            #expect(next.status == 3)
            #expect(
                next.stderr.contains("A token refresh started at \(Format.timestamp(startedAt)) was interrupted"),
                "\(next.stderr)")
            #expect(next.stderr.contains("Bitbucket has since replaced the refresh token"))
            #expect(next.stderr.contains("bbtui login"))
        }

        @Test func theTUIWaitsForTheCommitAfterSIGTERM() async throws {
            let account = try await account()
            defer { account.close() }
            let baseline = try await refreshes(account.emulator)
            try await account.emulator.post("/_emulator/hold")
            let tmux = try account.tmux()
            defer { tmux.kill() }
            try await waitForRefresh(account.emulator, after: baseline)
            kill(try #require(tmux.programPID), SIGTERM)
            try await account.emulator.post("/_emulator/release")
            #expect(tmux.waitFor("EXITED:143"), "\(tmux.capture())")
            #expect(try account.store().activeAccount()?.refreshStartedAt == nil)
            let next = try await account.run(["whoami"])
            #expect(next.status == 0, "\(next.stderr)")
        }

        @Test func tokensAsLongAsRealOnesTravelEveryPath() async throws {
            let account = try await E2EAccount.loggedIn()
            defer { account.close() }
            let stored = try #require(try account.store().activeAccount())
            #expect(stored.token.accessToken.count == 2_600)
            let token = try await account.run(["token"])
            #expect(token.status == 0)
            #expect(token.stdout == stored.token.accessToken + "\n")
            let status = try await account.run(["status", "--json", "--check"])
            #expect(status.status == 0, "\(status.stderr)")
            #expect(!status.stdout.contains(stored.token.accessToken))
            let whoami = try await account.run(["whoami"])
            #expect(whoami.status == 0, "\(whoami.stderr)")
        }

        /// Long lines reach `login --no-tui` whole: a pasted line of 3,000 characters (as long as a
        /// real token) is read and judged as one line, and the next line still logs in.
        @Test func aLineAsLongAsARealTokenIsReadWholeByLoginNoTUI() async throws {
            let account = try E2EAccount()
            defer { account.close() }
            let (process, input, _, errors, url) = try startLoginByCLI(environment: account.environment)
            let location = try await account.emulator.approve(url)
            let long = String(repeating: "A1b2C3d4", count: 375) // 3,000 characters, no spaces
            input.fileHandleForWriting.write(Data((long + "\n" + location + "\n").utf8))
            try input.fileHandleForWriting.close()
            let stderr = await finish(process, errors)
            #expect(process.terminationStatus == 0, "\(stderr)")
            // One line, one verdict: the long line was refused once, not in pieces.
            #expect(stderr.components(separatedBy: "does not look like a code").count == 2, "\(stderr)")
            #expect(stderr.contains("Logged in as"))
        }
    }
}
