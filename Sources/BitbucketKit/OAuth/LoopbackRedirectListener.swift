import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Takes the browser's redirect itself when the redirect URI is loopback `http`: the person
/// approves in a local browser (or one reaching it through `ssh -L`), and no paste is needed.
///
/// Only the redirect of the current attempt is taken: its `state` must equal the attempt's
/// exactly. Anything else on the port (a forged redirect from another local process or web page,
/// one without `state`, one for an older attempt, a stray request) is answered with a page saying
/// why it was ignored, and the login keeps waiting. A taken redirect's browser page is held open
/// until the login has really finished (`finish(code:_:)`), so it tells the truth: logged in, or
/// the exact failure and what to do next.
public final class LoopbackRedirectListener: Sendable {
    /// Why the listener could not start.
    public enum ListenerError: Error, Equatable, CustomStringConvertible {
        case notLoopback(String)
        case portInUse(Int)
        case failed(String)

        public var description: String {
            switch self {
            case .notLoopback(let uri):
                return
                    "The redirect URI \(uri) is not a loopback http address, so bbtui cannot receive the browser's redirect itself."
            case .portInUse(let port):
                return
                    "Port \(port) is in use (another bbtui login, or an ssh -L forward?), so the browser's redirect cannot be taken automatically."
            case .failed(let reason):
                return "The redirect listener could not start (\(reason))."
            }
        }
    }

    /// How a login that the listener delivered ended, for the browser page.
    public typealias Outcome = RedirectOutcome

    /// The port actually bound.
    public let port: Int
    private let channel: any Channel
    private let inbox: Inbox

    /// How long the browser page waits for the login to finish before saying it is still going.
    public static let pageTimeout: TimeAmount = .seconds(90)

    /// Binds `127.0.0.1` on the redirect URI's port (0 in tests picks a free one) and takes only
    /// redirects that carry `expectedState`.
    public static func start(
        redirectURI: URL, expectedState: String, portOverride: Int? = nil
    ) async throws(ListenerError) -> LoopbackRedirectListener {
        guard redirectURI.scheme == "http", redirectURI.isLoopback else {
            throw .notLoopback(redirectURI.absoluteString)
        }
        let requestedPort = portOverride ?? redirectURI.port ?? 80
        let path = redirectURI.path.isEmpty ? "/" : redirectURI.path
        let inbox = Inbox()
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(
                        RedirectHandler(callbackPath: path, expectedState: expectedState, inbox: inbox))
                }
            }
        do {
            let host = redirectURI.host == "localhost" ? "127.0.0.1" : (redirectURI.host ?? "127.0.0.1")
            let channel = try await bootstrap.bind(
                host: host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port: requestedPort
            ).get()
            return LoopbackRedirectListener(
                port: channel.localAddress?.port ?? requestedPort, channel: channel, inbox: inbox)
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw .portInUse(requestedPort)
        } catch let error as IOError {
            throw .failed(String(cString: strerror(error.errnoCode)))
        } catch {
            throw .failed("\(type(of: error))")
        }
    }

    private init(port: Int, channel: any Channel, inbox: Inbox) {
        self.port = port
        self.channel = channel
        self.inbox = inbox
    }

    /// Waits for the current attempt's redirect and returns its query string (`code=…&state=…`,
    /// or `error=…&state=…` when access was refused). Call it again for the next one.
    public func nextRedirect() async throws -> String {
        try await inbox.next()
    }

    /// Tells the browser page that was left open for `code` how the login ended. Codes that did
    /// not come through the listener (pasted ones) are ignored.
    public func finish(code: String, _ outcome: Outcome) {
        inbox.finish(code: code, outcome)
    }

    /// Stops listening; open pages are told that bbtui stopped waiting.
    public func stop() async {
        inbox.cancel()
        try? await channel.close()
    }

    /// Between the NIO handler and the awaiting task: delivered queries, and the browser pages
    /// waiting for their login's outcome.
    final class Inbox: Sendable {
        private struct State {
            var queries: [String] = []
            var waiter: CheckedContinuation<String, any Error>?
            var cancelled = false
            /// Codes already delivered; a reload of the page does not deliver the code twice.
            var delivered: Set<String> = []
            var outcomes: [String: Outcome] = [:]
            var pages: [String: [EventLoopPromise<Outcome?>]] = [:]
        }

        private let state = Mutex(State())

        /// Delivers a query once per code; returns false when the code was delivered before.
        @discardableResult
        func deliver(_ query: String, code: String?) -> Bool {
            let waiter = state.withLock { state -> CheckedContinuation<String, any Error>?? in
                if let code, !state.delivered.insert(code).inserted { return .none }
                if let waiter = state.waiter {
                    state.waiter = nil
                    return .some(waiter)
                }
                state.queries.append(query)
                return .some(nil)
            }
            guard let waiter else { return false }
            waiter?.resume(returning: query)
            return true
        }

        /// The outcome for `code`, when it is known, or nil when `timeout` passes first or the
        /// listener stops.
        func outcome(for code: String, on eventLoop: any EventLoop, timeout: TimeAmount) -> EventLoopFuture<Outcome?> {
            let promise = eventLoop.makePromise(of: Outcome?.self)
            let known = state.withLock { state -> Outcome?? in
                if let outcome = state.outcomes[code] { return .some(outcome) }
                if state.cancelled { return .some(nil) }
                state.pages[code, default: []].append(promise)
                return .none
            }
            if let known {
                promise.succeed(known)
                return promise.futureResult
            }
            eventLoop.scheduleTask(in: timeout) { [self] in
                let isWaiting = state.withLock { state -> Bool in
                    guard let index = state.pages[code]?.firstIndex(where: { $0.futureResult === promise.futureResult })
                    else { return false }
                    state.pages[code]?.remove(at: index)
                    return true
                }
                if isWaiting { promise.succeed(nil) }
            }
            return promise.futureResult
        }

        func finish(code: String, _ outcome: Outcome) {
            let pages = state.withLock { state -> [EventLoopPromise<Outcome?>] in
                guard state.delivered.contains(code) else { return [] }
                state.outcomes[code] = outcome
                return state.pages.removeValue(forKey: code) ?? []
            }
            for page in pages { page.succeed(outcome) }
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
                self.cancelWaiter()
            }
        }

        private func cancelWaiter() {
            let waiter = state.withLock { state -> CheckedContinuation<String, any Error>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(throwing: CancellationError())
        }

        func cancel() {
            let (waiter, pages) = state.withLock {
                state -> (CheckedContinuation<String, any Error>?, [EventLoopPromise<Outcome?>]) in
                state.cancelled = true
                defer {
                    state.waiter = nil
                    state.pages = [:]
                }
                return (state.waiter, state.pages.values.flatMap { $0 })
            }
            waiter?.resume(throwing: CancellationError())
            for page in pages { page.succeed(nil) }
        }
    }
}

/// Answers every request; hands the current attempt's redirects to the inbox.
private final class RedirectHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let callbackPath: String
    private let expectedState: String
    private let inbox: LoopbackRedirectListener.Inbox

    init(callbackPath: String, expectedState: String, inbox: LoopbackRedirectListener.Inbox) {
        self.callbackPath = callbackPath
        self.expectedState = expectedState
        self.inbox = inbox
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data) else { return }
        let parts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts.first ?? "")
        let query = parts.count > 1 ? String(parts[1]) : ""
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let version = head.version
        switch RedirectVerdict.judge(path: path, query: query, callbackPath: callbackPath, expectedState: expectedState)
        {
        case .ignored(let status, let title, let message):
            Self.respond(
                bound.value, version: version, status: status, page: RedirectPage.html(title: title, message: message))
        case .refused(let error, let description):
            inbox.deliver(query, code: nil)
            let message =
                error == "access_denied"
                ? "Access was not granted in the browser."
                : "Bitbucket answered \(error)\(description.map { ": \($0)" } ?? "")."
            Self.respond(
                bound.value, version: version, status: 200,
                page: RedirectPage.html(
                    title: "Not logged in", message: message,
                    next: "bbtui is still waiting: approve the URL shown in the terminal to log in."))
        case .code(let code):
            inbox.deliver(query, code: code)
            inbox.outcome(for: code, on: context.eventLoop, timeout: LoopbackRedirectListener.pageTimeout).whenSuccess {
                outcome in
                let page = RedirectPage.outcome(outcome)
                Self.respond(bound.value, version: version, status: page.status, page: page.html)
            }
        }
    }

    private static func respond(_ context: ChannelHandlerContext, version: HTTPVersion, status: Int, page: String) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/html; charset=utf-8")
        headers.add(name: "Content-Length", value: String(page.utf8.count))
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(name: "Connection", value: "close")
        context.write(
            NIOAny(
                HTTPServerResponsePart.head(
                    HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: status), headers: headers)
                )), promise: nil)
        context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: page)))), promise: nil)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))).whenComplete { _ in
            bound.value.close(promise: nil)
        }
    }
}
