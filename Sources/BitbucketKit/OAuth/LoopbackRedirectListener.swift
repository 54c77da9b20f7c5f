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
                return "The redirect URI \(uri) is not a loopback http address, so bbtui cannot receive the browser's redirect itself."
            case .portInUse(let port):
                return "Port \(port) is in use (another bbtui login, or an ssh -L forward?), so the browser's redirect cannot be taken automatically."
            case .failed(let reason):
                return "The redirect listener could not start (\(reason))."
            }
        }
    }

    /// How a login that the listener delivered ended, for the browser page.
    public enum Outcome: Sendable, Equatable {
        /// The account is stored; the name is shown.
        case loggedIn(String)
        /// The exchange or the probe failed; the message is shown (escaped).
        case failed(String)
    }

    /// The port actually bound.
    public let port: Int
    private let channel: any Channel
    private let inbox: Inbox

    /// How long the browser page waits for the login to finish before saying it is still going.
    public static let pageTimeout: TimeAmount = .seconds(90)

    /// Binds `127.0.0.1` on the redirect URI's port (0 in tests picks a free one) and takes only
    /// redirects that carry `expectedState`.
    public static func start(redirectURI: URL, expectedState: String, portOverride: Int? = nil) async throws(ListenerError) -> LoopbackRedirectListener {
        guard redirectURI.scheme == "http", redirectURI.isLoopback else { throw .notLoopback(redirectURI.absoluteString) }
        let requestedPort = portOverride ?? redirectURI.port ?? 80
        let path = redirectURI.path.isEmpty ? "/" : redirectURI.path
        let inbox = Inbox()
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(RedirectHandler(callbackPath: path, expectedState: expectedState, inbox: inbox))
                }
            }
        do {
            let host = redirectURI.host == "localhost" ? "127.0.0.1" : (redirectURI.host ?? "127.0.0.1")
            let channel = try await bootstrap.bind(host: host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port: requestedPort).get()
            return LoopbackRedirectListener(port: channel.localAddress?.port ?? requestedPort, channel: channel, inbox: inbox)
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
                    guard let index = state.pages[code]?.firstIndex(where: { $0.futureResult === promise.futureResult }) else { return false }
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
            let (waiter, pages) = state.withLock { state -> (CheckedContinuation<String, any Error>?, [EventLoopPromise<Outcome?>]) in
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

/// What the listener answers to one request on its port.
enum RedirectVerdict: Equatable {
    /// The current attempt's code: deliver it, and hold the page until the outcome is known.
    case code(String)
    /// The current attempt's refusal (`error=…` with the right state): deliver it.
    case refused(error: String, description: String?)
    /// Not for this attempt, or not a redirect at all: answer why, deliver nothing.
    case ignored(status: Int, title: String, message: String)

    /// Judges a request line's path and query against the callback path and the attempt's state.
    static func judge(path: String, query: String, callbackPath: String, expectedState: String) -> RedirectVerdict {
        guard path == callbackPath else {
            return .ignored(status: 404, title: "Nothing here", message: "bbtui is waiting for the Bitbucket redirect on \(callbackPath), not on this address.")
        }
        let items = Dictionary(FormDecoder.decode(query), uniquingKeysWith: { first, _ in first })
        guard let state = items["state"], !state.isEmpty else {
            return .ignored(status: 400, title: "Ignored: no state", message: "This address carries no state, so it cannot be the answer to the login bbtui started. It was ignored; bbtui is still waiting. Approve the URL shown in the terminal.")
        }
        guard constantTimeEquals(state, expectedState) else {
            return .ignored(status: 400, title: "Ignored: a different login", message: "This redirect belongs to a different login attempt (its state does not match the URL shown in the terminal now). It was ignored; bbtui is still waiting. Approve the URL shown in the terminal.")
        }
        if let error = items["error"] {
            return .refused(error: error, description: items["error_description"])
        }
        guard let code = items["code"], PastedAuthorization.isPlausibleCode(code) else {
            return .ignored(status: 400, title: "Ignored: no code", message: "This address has no authorization code in it. It was ignored; bbtui is still waiting. Approve the URL shown in the terminal.")
        }
        return .code(code)
    }

    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// The HTML pages the listener answers with; every variable part is escaped.
enum RedirectPage {
    static func html(title: String, message: String, next: String? = nil) -> String {
        """
        <!DOCTYPE html><html><head><meta charset="utf-8"><title>bbtui: \(escape(title))</title></head>
        <body style="font-family: sans-serif; margin: 4em; max-width: 40em;"><h1>\(escape(title))</h1>
        <p>\(escape(message))</p>\(next.map { "<p>\(escape($0))</p>" } ?? "")</body></html>
        """
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value) {
                    out += "&#\(scalar.value);"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    static func outcome(_ outcome: LoopbackRedirectListener.Outcome?) -> (status: Int, html: String) {
        switch outcome {
        case .loggedIn(let name)?:
            return (200, html(title: "Logged in", message: "bbtui is logged in as \(name).", next: "You can close this tab and go back to the terminal."))
        case .failed(let message)?:
            return (200, html(title: "The login did not finish", message: message, next: "Go back to the terminal: it says what to do next."))
        case nil:
            return (200, html(title: "Code received", message: "bbtui received the code but has not finished logging in yet (or stopped waiting).", next: "Go back to the terminal to see whether the login finished."))
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
        switch RedirectVerdict.judge(path: path, query: query, callbackPath: callbackPath, expectedState: expectedState) {
        case .ignored(let status, let title, let message):
            Self.respond(bound.value, version: version, status: status, page: RedirectPage.html(title: title, message: message))
        case .refused(let error, let description):
            inbox.deliver(query, code: nil)
            let message = error == "access_denied" ? "Access was not granted in the browser." : "Bitbucket answered \(error)\(description.map { ": \($0)" } ?? "")."
            Self.respond(bound.value, version: version, status: 200, page: RedirectPage.html(title: "Not logged in", message: message, next: "bbtui is still waiting: approve the URL shown in the terminal to log in."))
        case .code(let code):
            inbox.deliver(query, code: code)
            inbox.outcome(for: code, on: context.eventLoop, timeout: LoopbackRedirectListener.pageTimeout).whenSuccess { outcome in
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
        context.write(NIOAny(HTTPServerResponsePart.head(HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: status), headers: headers))), promise: nil)
        context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: page)))), promise: nil)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
    }
}
