import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import Synchronization
import TestSupport
import Testing

@testable import BitbucketKit

/// A hostile HTTP server on loopback that accepts connections and never says a word. (The
/// server that drips its answer is the emulator's `dripInterval` fault.)
final class SilentServer: @unchecked Sendable {
    // @unchecked: `listener` is written once in init; `connections` and `listenerIsOpen` are only
    // touched under the `connections` mutex.

    let port: Int
    private let listener: Int32
    /// Guarded by `connections`' lock, like the connections themselves.
    private var listenerIsOpen = true
    private let connections = Mutex<[Int32]>([])
    private let stopped = Atomic<Bool>(false)

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        listen(fd, 8)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        // Each descriptor is closed by the one thread that uses it, never from `stop()`: a
        // number closed under a writing thread can be reused by another test's socket, which
        // would then receive this server's bytes.
        let thread = Thread { [self] in
            defer {
                connections.withLock { _ in
                    listenerIsOpen = false
                    close(fd)
                }
            }
            while !stopped.load(ordering: .relaxed) {
                let connection = accept(fd, nil, nil)
                guard connection >= 0 else { return }
                connections.withLock { $0.append(connection) }
                Thread { [self] in
                    // Unregister and close under the lock, so `stop()` never shuts down a number
                    // that was closed (and perhaps reused by another test's socket).
                    defer {
                        connections.withLock { list in
                            list.removeAll { $0 == connection }
                            close(connection)
                        }
                    }
                    // Read the request, answer nothing, until the server stops.
                    var byte: UInt8 = 0
                    while recv(connection, &byte, 1, 0) > 0 {}
                }.start()
            }
        }
        thread.start()
    }

    /// Stops serving: shutting the sockets down wakes their threads, which close them.
    func stop() {
        stopped.store(true, ordering: .relaxed)
        connections.withLock { list in
            if listenerIsOpen { shutdown(listener, Int32(SHUT_RDWR)) }
            for connection in list { shutdown(connection, Int32(SHUT_RDWR)) }
        }
    }
}

@Suite(.stopsEmulators) struct DeadlineTests {
    /// One server drips its answer a byte every 50 ms (every read timeout stays happy, the
    /// whole answer would take seconds), the other never says a word: both end at the deadline.
    @Test(arguments: [true, false])
    func aRequestEndsAtItsDeadlineWhateverTheServerDoes(drips: Bool) async throws {
        let url: String
        var silent: SilentServer?
        if drips {
            let h = try await KitHarness.start { $0.dripInterval = .milliseconds(50) }
            url = h.endpoints.apiURL + "/user"
        } else {
            let server = try SilentServer()
            silent = server
            url = "http://127.0.0.1:\(server.port)/2.0/user"
        }
        defer { silent?.stop() }
        let transport = AsyncHTTPClientTransport(connectTimeout: .seconds(1), requestTimeout: .milliseconds(800))
        let started = ContinuousClock.now
        do {
            _ = try await transport.send(HTTPRequest(url: URL(string: url)!))
            Issue.record("a server that never finishes answered")
        } catch let error as TransportError {
            #expect(error.kind == .timedOut && error.host == "127.0.0.1", "\(error)")
            #expect(
                error.description
                    == "127.0.0.1 did not answer in time (no complete answer within 0.8 s). Check your network, and HTTPS_PROXY if you need one."
            )
        }
        // Bounded by the deadline, not by the server.
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func theTimeoutNamesTheHost() {
        #expect(
            TransportError(.timedOut, host: "api.example.org", detail: "no complete answer within 30 s").description
                == "api.example.org did not answer in time (no complete answer within 30 s). Check your network, and HTTPS_PROXY if you need one."
        )
    }

    @Test func deadlineAnswersEvenWhenTheWorkIgnoresCancellation() async throws {
        struct Late: Error, Equatable {}
        // Work that never looks at cancellation and does not end until the test lets it: the
        // deadline must answer while it is still stuck.
        let release = DispatchSemaphore(value: 0)
        let finished = Atomic<Bool>(false)
        await #expect(throws: Late()) {
            try await Deadline.run(within: .milliseconds(100), timeout: { Late() }) {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    Thread {
                        release.wait()
                        finished.store(true, ordering: .relaxed)
                        continuation.resume()
                    }.start()
                }
                return 1
            }
        }
        let stillStuck = !finished.load(ordering: .relaxed)
        #expect(stillStuck)
        release.signal()
    }

    @Test func deadlinePassesResultsAndErrorsThrough() async throws {
        #expect(try await Deadline.run(within: .seconds(5), timeout: { CancellationError() }) { 42 } == 42)
        await #expect(throws: TransportError(.dnsFailure, host: "h")) {
            try await Deadline.run(within: .seconds(5), timeout: { CancellationError() }) { () async throws -> Int in
                throw TransportError(.dnsFailure, host: "h")
            }
        }
    }

    @Test(arguments: [("0.5", 500), ("30", 30_000), ("2.25", 2250)])
    func timeoutsAreConfigurable(value: String, milliseconds: Int64) throws {
        let settings = Settings(
            values: ["BBTUI_TIMEOUT": value, "BBTUI_COMMAND_TIMEOUT": value], sources: [:], paths: TemporaryHome().paths
        )
        #expect(try settings.requestTimeout() == .milliseconds(milliseconds))
        #expect(try settings.commandTimeout() == .milliseconds(milliseconds))
    }

    @Test(arguments: ["0", "-1", "abc", "nan", "inf", "1e9"])
    func badTimeoutsAreRefusedByName(value: String) {
        let settings = Settings(values: ["BBTUI_TIMEOUT": value], sources: [:], paths: TemporaryHome().paths)
        #expect(
            throws: ConfigurationError.invalidValue("BBTUI_TIMEOUT", value, "a number of seconds between 0 and 86400")
        ) { try settings.requestTimeout() }
    }

    @Test func defaultsWithoutSettings() throws {
        let settings = Settings(values: [:], sources: [:], paths: TemporaryHome().paths)
        #expect(try settings.requestTimeout() == .seconds(30))
        #expect(try settings.commandTimeout() == .seconds(300))
    }
}

@Suite struct ConfigFileSecrecyTests {
    private func write(_ text: String, mode: mode_t) -> TemporaryHome {
        let home = TemporaryHome()
        try? FileManager.default.createDirectory(
            atPath: home.path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        FileManager.default.createFile(atPath: home.path + "/config", contents: Data(text.utf8))
        chmod(home.path + "/config", mode)
        return home
    }

    @Test(arguments: [mode_t(0o644), 0o640, 0o604, 0o660])
    func aReadableConfigHoldingTheSecretIsRefusedWithTheFix(mode: mode_t) {
        let home = write("BITBUCKET_CLIENT_ID = \"k\"\nBITBUCKET_CLIENT_SECRET = \"s3cret\"\n", mode: mode)
        defer { home.remove() }
        let path = home.path + "/config"
        #expect(throws: ConfigurationError.exposedSecret(path, "0" + String(mode, radix: 8), "chmod 600 '\(path)'")) {
            _ = try Settings.load(environment: ["BBTUI_HOME": home.path])
        }
        let message = ConfigurationError.exposedSecret(path, "0644", "chmod 600 '\(path)'").description
        #expect(!message.contains("s3cret"))
    }

    @Test func aPrivateConfigOrOneWithoutTheSecretIsRead() throws {
        let secret = write("BITBUCKET_CLIENT_SECRET = \"s3cret\"\n", mode: 0o600)
        defer { secret.remove() }
        #expect(
            try Settings.load(environment: ["BBTUI_HOME": secret.path]).values["BITBUCKET_CLIENT_SECRET"] == "s3cret")
        let endpoints = write("BBTUI_API_URL = \"https://api.bitbucket.org/2.0\"\n", mode: 0o644)
        defer { endpoints.remove() }
        #expect(
            try Settings.load(environment: ["BBTUI_HOME": endpoints.path]).values["BBTUI_API_URL"]
                == "https://api.bitbucket.org/2.0")
    }
}

@Suite struct ClassifyTests {
    @Test func errorsAreClassifiedByTypeAndErrno() {
        #expect(
            TransportError.classify(IOError(errnoCode: ECONNREFUSED, reason: "connect"), host: "h").kind
                == .connectionRefused)
        #expect(TransportError.classify(IOError(errnoCode: ETIMEDOUT, reason: "connect"), host: "h").kind == .timedOut)
        #expect(
            TransportError.classify(IOError(errnoCode: ENETUNREACH, reason: "connect"), host: "h")
                == TransportError(.other, host: "h", detail: "Network is unreachable"))
        #expect(TransportError.classify(HTTPClientError.readTimeout, host: "h").kind == .timedOut)
        #expect(
            TransportError.classify(HTTPClientError.remoteConnectionClosed, host: "h").detail
                == "the server closed the connection")
        #expect(TransportError.classify(ChannelError.connectTimeout(.seconds(1)), host: "h").kind == .timedOut)
        #expect(
            TransportError.classify(SocketAddressError.unknown(host: "nowhere.invalid", port: 443), host: "h").kind
                == .dnsFailure)
        struct Odd: Error {}
        #expect(TransportError.classify(Odd(), host: "h").kind == .other)
    }
}
