import BitbucketKit
import Foundation
import Synchronization
import Testing

/// File-system events (inotify) for a file or directory: the tests' way of waiting for
/// something to happen, instead of sleeping and looking again.
final class FileEvents {
    private let fd: Int32

    /// Starts watching `path` for the events in `mask` (IN_MODIFY, IN_CREATE, IN_OPEN…). Events
    /// queue from here on, so none is missed between a check and the wait that follows it.
    init(watching path: String, mask: UInt32) {
        fd = inotify_init()
        precondition(fd >= 0 && inotify_add_watch(fd, path, mask) >= 0, "inotify on \(path) failed")
    }

    deinit { close(fd) }

    /// Blocks until events arrive or the deadline passes. Returns the names (empty for the
    /// watched file itself) and masks of the events, or nil at the deadline.
    func next(until deadline: ContinuousClock.Instant) -> [(name: String, mask: UInt32)]? {
        let remaining = ContinuousClock.now.duration(to: deadline)
        guard remaining > .zero else { return nil }
        let milliseconds = Int32(
            clamping: remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000 + 1
        )
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, milliseconds) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 16384)
        let count = read(fd, &buffer, buffer.count)
        guard count > 0 else { return nil }
        var events: [(String, UInt32)] = []
        var offset = 0
        // struct inotify_event: wd, mask, cookie, len (4 bytes each), then len bytes of name.
        while offset + 16 <= count {
            func word(_ at: Int) -> UInt32 {
                buffer[(offset + at)..<(offset + at + 4)].reversed().reduce(0) { $0 << 8 | UInt32($1) }
            }
            let mask = word(4)
            let length = Int(word(12))
            let name = String(
                decoding: buffer[(offset + 16)..<min(count, offset + 16 + length)].prefix { $0 != 0 }, as: UTF8.self)
            events.append((name, mask))
            offset += 16 + length
        }
        return events
    }
}

/// Waits until `condition` holds, re-checking it each time `events` reports a change, until the
/// deadline. Nothing is re-checked on a timer.
@discardableResult
func waitUntil(_ timeout: Duration = .seconds(15), on events: FileEvents, _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard events.next(until: deadline) != nil else { return condition() }
    }
    return true
}

/// The built `bbtui` binary, beside the test bundle.
enum Binary {
    static var path: String {
        if let override = ProcessInfo.processInfo.environment["BBTUI_BINARY"] { return override }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if directory.lastPathComponent.hasSuffix(".xctest") { directory.deleteLastPathComponent() }
        return directory.appendingPathComponent("bbtui").path
    }
}

/// A finished process's output.
struct Finished {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `bbtui` with arguments and an environment, feeding `stdin`.
func runBBTUI(_ arguments: [String], environment: [String: String], stdin: String = "") async throws -> Finished {
    try await runProcess(Binary.path, arguments, environment: environment, stdin: stdin)
}

/// Runs a program with arguments and an environment, feeding `stdin`. The waiting happens on a
/// thread of its own: blocking the concurrency pool's two threads here would delay every other
/// test's timers (a deadline test measured its own deadline 10 s late).
func runProcess(
    _ executable: String, _ arguments: [String], environment: [String: String], stdin: String = "",
    directory: String? = nil
) async throws -> Finished {
    try await withCheckedThrowingContinuation { continuation in
        Thread {
            continuation.resume(
                with: Result {
                    try runProcessBlocking(
                        executable, arguments, environment: environment, stdin: stdin, directory: directory)
                })
        }.start()
    }
}

private func runProcessBlocking(
    _ executable: String, _ arguments: [String], environment: [String: String], stdin: String, directory: String?
) throws -> Finished {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = environment
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let input = Pipe()
    let output = Pipe()
    let errors = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    input.fileHandleForWriting.write(Data(stdin.utf8))
    try input.fileHandleForWriting.close()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Finished(
        status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
        stderr: String(decoding: err, as: UTF8.self))
}

/// A `bbtui emulator` process; its endpoints come from the JSON line it prints.
final class EmulatorProcess {
    let process = Process()
    let endpoints: [String: String]
    private let output = Pipe()

    init(_ arguments: [String] = []) throws {
        process.executableURL = URL(fileURLWithPath: Binary.path)
        process.arguments = ["emulator", "--port", "0"] + arguments
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        endpoints =
            (try JSONSerialization.jsonObject(with: Data(firstLine(of: output).utf8)) as? [String: String]) ?? [:]
    }

    deinit { stop() }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    var baseURL: String { String(endpoints["api_url", default: ""].dropLast("/2.0".count)) }

    /// The environment that points bbtui at this emulator, with a private home.
    func environment(home: String) -> [String: String] {
        [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "HOME": home, "BBTUI_HOME": home, "LANG": "C.UTF-8",
            "BITBUCKET_CLIENT_ID": endpoints["client_id", default: ""],
            "BITBUCKET_CLIENT_SECRET": endpoints["client_secret", default: ""],
            "BBTUI_AUTHORIZE_URL": endpoints["authorize_url", default: ""],
            "BBTUI_TOKEN_URL": endpoints["token_url", default: ""],
            "BBTUI_API_URL": endpoints["api_url", default: ""],
        ]
    }

    /// Stats from the emulator's own endpoint.
    func stats() async throws -> [String: Any] {
        let response = try await plainTransport.send(HTTPRequest(url: URL(string: baseURL + "/_emulator/stats")!))
        return (try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:]
    }

    func post(_ path: String) async throws {
        _ = try await plainTransport.send(HTTPRequest(method: "POST", url: URL(string: baseURL + path)!))
    }

    /// Plays the browser: opens the authorize URL, returns the redirect carrying the code.
    func approve(_ url: String) async throws -> String {
        let response = try await plainTransport.send(HTTPRequest(url: URL(string: url)!))
        return response.headers["location"] ?? ""
    }
}

let plainTransport = AsyncHTTPClientTransport(connectTimeout: .seconds(2), requestTimeout: .seconds(20))

/// A temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "bbtui-e2e-" + UUID().uuidString
        try? FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// `bbtui login --no-tui` started with its standard input left open: the process, its stdin,
/// stdout and stderr pipes, and the URL it printed.
func startLoginByCLI(environment: [String: String]) throws -> (Process, Pipe, Pipe, Pipe, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Binary.path)
    process.arguments = ["login", "--no-tui"]
    process.environment = environment
    let input = Pipe()
    let output = Pipe()
    let errors = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    return (process, input, output, errors, firstLine(of: output))
}

/// Logs in through `bbtui login --no-tui`, feeding it the redirect the emulator gives. The
/// waiting happens on threads of their own, as in `runProcess`: blocking the concurrency pool
/// here would starve every other test's timers.
func loginByCLI(_ emulator: EmulatorProcess, environment: [String: String]) async throws -> Finished {
    let started = try await onOwnThread { Unchecked(try startLoginByCLI(environment: environment)) }
    let (process, input, output, errors, url) = started.value
    let location = try await emulator.approve(url)
    let pipes = Unchecked((process, input, output, errors))
    return try await onOwnThread {
        let (process, input, output, errors) = pipes.value
        input.fileHandleForWriting.write(Data((location + "\n").utf8))
        try input.fileHandleForWriting.close()
        let rest = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Finished(
            status: process.terminationStatus, stdout: url + "\n" + String(decoding: rest, as: UTF8.self),
            stderr: String(decoding: err, as: UTF8.self))
    }
}

/// A value handed between threads by hand (the harness's processes and pipes).
final class Unchecked<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Runs blocking work on a thread of its own and awaits its result.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// A listening TCP socket on a free loopback port that never answers (or, closed at once, a
/// free port for someone else to use).
enum LoopbackSocket {
    static func listen() -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        Glibc.listen(fd, 16)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}

/// Reads one line from a pipe, byte by byte, so nothing after it is consumed.
func firstLine(of pipe: Pipe) -> String {
    var line = Data()
    while true {
        let byte = pipe.fileHandleForReading.readData(ofLength: 1)
        if byte.isEmpty || byte == Data("\n".utf8) { break }
        line += byte
    }
    return String(decoding: line, as: UTF8.self)
}

/// An end-to-end test's account: a private home, a running emulator and the environment that
/// points bbtui at both, logged in through `login --no-tui` when asked. `close()` (in a `defer`)
/// stops the emulator and removes the home.
final class E2EAccount {
    let home = TemporaryDirectory()
    let emulator: EmulatorProcess
    var environment: [String: String]

    /// Starts an emulator with `arguments`; `extra` is added to the environment.
    init(_ arguments: [String] = [], extra: [String: String] = [:]) throws {
        emulator = try EmulatorProcess(arguments)
        environment = emulator.environment(home: home.path).merging(extra) { $1 }
    }

    /// Starts one and logs in (the login must succeed).
    static func loggedIn(_ arguments: [String] = [], extra: [String: String] = [:]) async throws -> E2EAccount {
        let account = try E2EAccount(arguments, extra: extra)
        let login = try await loginByCLI(account.emulator, environment: account.environment)
        #expect(login.status == 0, "\(login.stderr)")
        return account
    }

    /// Runs `bbtui` with this account's environment.
    func run(_ arguments: [String], stdin: String = "") async throws -> Finished {
        try await runBBTUI(arguments, environment: environment, stdin: stdin)
    }

    /// The account's token store, as another process would open it.
    func store() throws -> TokenStore {
        try TokenStore(paths: StorePaths(configDirectory: home.path, cacheDirectory: home.path + "/cache"))
    }

    /// bbtui's full screen in tmux, with this account's environment.
    func tmux(width: Int = 100, height: Int = 30, extra: [String: String] = [:]) throws -> Tmux {
        try Tmux(
            width: width, height: height, command: Binary.path, environment: environment.merging(extra) { $1 },
            directory: home.path)
    }

    func close() {
        emulator.stop()
        home.remove()
    }
}
