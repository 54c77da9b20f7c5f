import BitbucketKit
import Foundation
import Synchronization
import Testing

/// Waits for a condition, checking every 50 ms, until the deadline. No fixed sleeps.
@discardableResult
func waitUntil(_ timeout: Duration = .seconds(15), _ condition: () -> Bool) -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if condition() { return true }
        usleep(50_000)
    }
    return condition()
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
func runBBTUI(_ arguments: [String], environment: [String: String], stdin: String = "") throws -> Finished {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Binary.path)
    process.arguments = arguments
    process.environment = environment
    let input = Pipe(), output = Pipe(), errors = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    input.fileHandleForWriting.write(Data(stdin.utf8))
    try input.fileHandleForWriting.close()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Finished(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
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
        endpoints = (try JSONSerialization.jsonObject(with: Data(firstLine(of: output).utf8)) as? [String: String]) ?? [:]
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
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Logs in through `bbtui login --no-tui`, feeding it the redirect the emulator gives.
func loginByCLI(_ emulator: EmulatorProcess, environment: [String: String]) async throws -> Finished {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Binary.path)
    process.arguments = ["login", "--no-tui"]
    process.environment = environment
    let input = Pipe(), output = Pipe(), errors = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let url = firstLine(of: output)
    let location = try await emulator.approve(url)
    input.fileHandleForWriting.write(Data((location + "\n").utf8))
    try input.fileHandleForWriting.close()
    let rest = output.fileHandleForReading.readDataToEndOfFile()
    let err = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Finished(status: process.terminationStatus, stdout: url + "\n" + String(decoding: rest, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
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
