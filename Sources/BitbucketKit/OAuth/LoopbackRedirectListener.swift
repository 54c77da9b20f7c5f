import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Takes the browser's redirect itself when the redirect URI is loopback `http`: the person
/// approves in a local browser (or one reaching it through `ssh -L`), and no paste is needed.
///
/// It answers the browser with a small page saying the tab can be closed, and hands the query of
/// the first request on the callback path to whoever awaits `nextRedirect()`. It races with the
/// paste field; whichever comes first wins.
public final class LoopbackRedirectListener: Sendable {
    /// Why the listener could not start.
    public enum ListenerError: Error, Equatable, CustomStringConvertible {
        case notLoopback(String)
        case portInUse(Int)
        case failed(String)

        public var description: String {
            switch self {
            case .notLoopback(let uri):
                return "The redirect URI \(uri) is not a loopback http address, so bbtui cannot receive it: paste the code instead."
            case .portInUse(let port):
                return "Port \(port) is in use (another bbtui login, or an ssh -L forward?), so the redirect cannot be taken automatically. Paste the code or the redirect URL instead."
            case .failed(let reason):
                return "The redirect listener could not start (\(reason)). Paste the code or the redirect URL instead."
            }
        }
    }

    /// The port actually bound.
    public let port: Int
    private let channel: any Channel
    private let callbackPath: String
    private let inbox: Inbox

    /// Binds `127.0.0.1` on the redirect URI's port (0 in tests picks a free one).
    public static func start(redirectURI: URL, portOverride: Int? = nil) async throws(ListenerError) -> LoopbackRedirectListener {
        guard redirectURI.scheme == "http", redirectURI.isLoopback else { throw .notLoopback(redirectURI.absoluteString) }
        let requestedPort = portOverride ?? redirectURI.port ?? 80
        let path = redirectURI.path.isEmpty ? "/" : redirectURI.path
        let inbox = Inbox()
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(RedirectHandler(callbackPath: path, inbox: inbox))
                }
            }
        do {
            let host = redirectURI.host == "localhost" ? "127.0.0.1" : (redirectURI.host ?? "127.0.0.1")
            let channel = try await bootstrap.bind(host: host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port: requestedPort).get()
            return LoopbackRedirectListener(port: channel.localAddress?.port ?? requestedPort, channel: channel, callbackPath: path, inbox: inbox)
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw .portInUse(requestedPort)
        } catch {
            if "\(error)".contains("Address already in use") { throw .portInUse(requestedPort) }
            throw .failed("\(error)")
        }
    }

    private init(port: Int, channel: any Channel, callbackPath: String, inbox: Inbox) {
        self.port = port
        self.channel = channel
        self.callbackPath = callbackPath
        self.inbox = inbox
    }

    /// Waits for the browser's redirect and returns its query string (`code=…&state=…`).
    public func nextRedirect() async throws -> String {
        try await inbox.next()
    }

    /// Stops listening.
    public func stop() async {
        inbox.cancel()
        try? await channel.close()
    }

    /// A one-slot mailbox between the NIO handler and the awaiting task.
    final class Inbox: Sendable {
        private let state = Mutex<(queries: [String], waiter: CheckedContinuation<String, any Error>?, cancelled: Bool)>(([], nil, false))

        func deliver(_ query: String) {
            let waiter = state.withLock { state -> CheckedContinuation<String, any Error>? in
                if let waiter = state.waiter {
                    state.waiter = nil
                    return waiter
                }
                state.queries.append(query)
                return nil
            }
            waiter?.resume(returning: query)
        }

        func next() async throws -> String {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    let immediate = state.withLock { state -> Result<String, any Error>? in
                        if state.cancelled { return .failure(CancellationError()) }
                        if !state.queries.isEmpty { return .success(state.queries.removeFirst()) }
                        state.waiter = continuation
                        return nil
                    }
                    if let immediate { continuation.resume(with: immediate) }
                }
            } onCancel: {
                self.cancel()
            }
        }

        func cancel() {
            let waiter = state.withLock { state -> CheckedContinuation<String, any Error>? in
                state.cancelled = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(throwing: CancellationError())
        }
    }
}

/// Answers every request; hands callback queries to the inbox.
private final class RedirectHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let callbackPath: String
    private let inbox: LoopbackRedirectListener.Inbox

    init(callbackPath: String, inbox: LoopbackRedirectListener.Inbox) {
        self.callbackPath = callbackPath
        self.inbox = inbox
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data) else { return }
        let parts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts.first ?? "")
        let query = parts.count > 1 ? String(parts[1]) : ""
        let status: HTTPResponseStatus
        let page: String
        if path == callbackPath, query.contains("code=") || query.contains("error=") {
            inbox.deliver(query)
            status = .ok
            let denied = query.contains("error=")
            page = """
            <!DOCTYPE html><html><head><meta charset="utf-8"><title>bbtui</title></head>
            <body style="font-family: sans-serif; margin: 4em;"><h1>\(denied ? "Access was not granted" : "Logged in")</h1>
            <p>\(denied ? "bbtui received the refusal. Go back to the terminal." : "bbtui received the code. You can close this tab and go back to the terminal.")</p></body></html>
            """
        } else {
            status = .notFound
            page = "<!DOCTYPE html><html><body><p>bbtui is waiting for the Bitbucket redirect on \(callbackPath).</p></body></html>"
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/html; charset=utf-8")
        headers.add(name: "Content-Length", value: String(page.utf8.count))
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: page)))), promise: nil)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
    }
}
