import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A local Bitbucket Cloud on Hummingbird: serves `EmulatorCore` over real HTTP.
///
/// Used in-process by `bbtui demo`, the tests and the benchmarks (`start()`/`stop()`), and as its
/// own process by `bbtui emulator` (`run()`).
public final class BitbucketEmulator: Sendable {
    /// The request handler, with its data, tokens and counters.
    public let core: EmulatorCore
    private let task = Mutex<Task<Void, any Error>?>(nil)

    /// Creates an emulator; nothing listens until `start()` or `run()`.
    public init(configuration: EmulatorConfiguration = EmulatorConfiguration()) {
        core = EmulatorCore(configuration: configuration)
    }

    /// Why the emulator could not start.
    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Starts listening in the background and returns once the port is bound.
    public func start() async throws -> EmulatorEndpoints {
        let (stream, continuation) = AsyncStream<Result<Int, any Error>>.makeStream()
        let application = makeApplication { port in continuation.yield(.success(port)) }
        let runner = Task {
            do {
                try await application.runService(gracefulShutdownSignals: [])
            } catch {
                continuation.yield(.failure(error))
                throw error
            }
            continuation.finish()
        }
        task.withLock { $0 = runner }
        for await result in stream {
            switch result {
            case .success(let port):
                return configure(port: port)
            case .failure(let error):
                throw StartError(
                    description:
                        "The emulator could not listen on \(core.configuration.host):\(core.configuration.port): \(error)"
                )
            }
        }
        throw StartError(description: "The emulator stopped before it was listening.")
    }

    /// Serves until SIGINT or SIGTERM, calling `onReady` once listening.
    public func run(onReady: @escaping @Sendable (EmulatorEndpoints) -> Void) async throws {
        let application = makeApplication { [self] port in onReady(configure(port: port)) }
        defer { core.git.removeAll() }
        try await application.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }

    /// Stops a server started with `start()` and waits until it has closed.
    public func stop() async {
        let runner = task.withLock { task -> Task<Void, any Error>? in
            defer { task = nil }
            return task
        }
        runner?.cancel()
        _ = await runner?.result
        core.git.removeAll()
    }

    private func configure(port: Int) -> EmulatorEndpoints {
        let host = core.configuration.host.contains(":") ? "[\(core.configuration.host)]" : core.configuration.host
        core.setBaseURL("http://\(host):\(port)")
        return core.endpoints
    }

    private func makeApplication(onPort: @escaping @Sendable (Int) -> Void) -> some ApplicationProtocol {
        var logger = Logger(label: "bbtui.emulator", factory: { _ in SwiftLogNoOpLogHandler() })
        logger.logLevel = .critical
        return Application(
            responder: EmulatorResponder(core: core),
            configuration: ApplicationConfiguration(
                address: .hostname(core.configuration.host, port: core.configuration.port), serverName: nil),
            onServerRunning: { channel in onPort(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }
}

/// Turns Hummingbird requests into `EmulatorRequest`s and back.
struct EmulatorResponder: HTTPResponder {
    typealias Context = BasicRequestContext
    let core: EmulatorCore

    func respond(to request: Request, context: Context) async throws -> Response {
        let rawPath = request.uri.path
        if rawPath.hasSuffix("/info/refs") || rawPath.hasSuffix("/git-upload-pack")
            || rawPath.hasSuffix("/git-receive-pack"),
            let route = EmulatorGit.route(FormEncoding.percentDecode(request.uri.path.replacingPlus()))
        {
            return try await git(route, request)
        }
        let body = try await request.body.collect(upTo: 1 << 20)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let emulated = EmulatorRequest(
            method: request.method.rawValue,
            path: FormEncoding.percentDecode(request.uri.path.replacingPlus()),
            query: request.uri.query ?? "",
            headers: headers,
            body: Array(buffer: body)
        )
        let answer = await core.respond(to: emulated)
        var fields = HTTPFields()
        for (name, value) in answer.headers {
            if let fieldName = HTTPField.Name(name) { fields.append(HTTPField(name: fieldName, value: value)) }
        }
        let bytes = ByteBuffer(string: answer.body)
        if let interval = core.configuration.dripInterval, emulated.path.hasPrefix("/2.0/") {
            return Response(
                status: HTTPResponse.Status(code: answer.status), headers: fields,
                body: ResponseBody(contentLength: bytes.readableBytes) { writer in
                    for index in bytes.readerIndex..<bytes.writerIndex {
                        try await writer.write(bytes.getSlice(at: index, length: 1)!)
                        try await Task.sleep(for: interval)
                    }
                    try await writer.finish(nil)
                })
        }
        return Response(
            status: HTTPResponse.Status(code: answer.status), headers: fields, body: ResponseBody(byteBuffer: bytes))
    }
}

extension EmulatorResponder {
    /// Git's smart HTTP: credentials checked as Bitbucket checks them, then `git http-backend`.
    func git(_ route: EmulatorGit.Route, _ request: Request) async throws -> Response {
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
        let body = try await request.body.collect(upTo: 256 << 20)
        let query = request.uri.query ?? ""
        core.countGitRequest(method: request.method.rawValue, route)
        if core.configuration.latency > .zero { try? await Task.sleep(for: core.configuration.latency) }
        let access: EmulatorGit.Access
        switch core.gitAccess(route, query: query, headers: headers) {
        case .failure(let answer):
            return Self.response(status: answer.status, headers: answer.headers, body: ByteBuffer(string: answer.body))
        case .success(let granted):
            access = granted
        }
        let core = self.core
        let result: EmulatorGit.CGIResult
        do {
            let path = try await EmulatorGit.onThread { try core.git.repositoryPath(access.repository, in: core.data) }
            result = try await EmulatorGit.serve(
                route, repositoryPath: path, method: request.method.rawValue, query: query, headers: headers,
                body: Array(buffer: body), user: access.canWrite ? access.user : nil)
        } catch {
            return Self.response(
                status: 500, headers: [("Content-Type", "text/plain")], body: ByteBuffer(string: "\(error)"))
        }
        return Self.response(status: result.status, headers: result.headers, body: ByteBuffer(bytes: result.body))
    }

    static func response(status: Int, headers: [(String, String)], body: ByteBuffer) -> Response {
        var fields = HTTPFields()
        for (name, value) in headers {
            if let fieldName = HTTPField.Name(name) { fields.append(HTTPField(name: fieldName, value: value)) }
        }
        return Response(
            status: HTTPResponse.Status(code: status), headers: fields, body: ResponseBody(byteBuffer: body))
    }
}

extension String {
    /// In a path `+` is a plus, not a space: protect it from form decoding.
    fileprivate func replacingPlus() -> String {
        var out = ""
        for character in self { out += character == "+" ? "%2B" : String(character) }
        return out
    }
}
