import Foundation
import Synchronization
import Testing

@testable import BitbucketKit

/// A server on loopback that answers every request with the same bytes, then closes.
final class ScriptedServer: @unchecked Sendable {
    // @unchecked: `listener` and `answer` are written once in init.
    let port: Int
    private let listener: Int32
    private let answer: [UInt8]
    private let stopped = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)

    init(answer: [UInt8]) {
        self.answer = answer
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
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
        Thread { [self] in
            defer {
                close(fd)
                done.signal()
            }
            while !stopped.load(ordering: .relaxed) {
                let connection = accept(fd, nil, nil)
                guard connection >= 0 else { return }
                // The request's head, then the answer, then the end.
                var request: [UInt8] = []
                var byte: UInt8 = 0
                while !request.suffix(4).elementsEqual("\r\n\r\n".utf8), recv(connection, &byte, 1, 0) == 1 {
                    request.append(byte)
                }
                var offset = 0
                while offset < answer.count {
                    let sent = answer[offset...].withUnsafeBytes {
                        send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                    }
                    if sent <= 0 { break }
                    offset += sent
                }
                close(connection)
            }
        }.start()
    }

    /// Stops serving and waits until the listening socket is closed.
    func stop() {
        stopped.store(true, ordering: .relaxed)
        shutdown(listener, Int32(SHUT_RDWR))
        done.wait()
    }
}

/// Response bodies are read straight into an array: whole, whatever their framing, and never
/// past the transport's cap.
@Suite struct ResponseBodyTests {
    static func chunked(_ body: [UInt8], pieces: Int) -> [UInt8] {
        var out = Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".utf8)
        let size = max(1, (body.count + pieces - 1) / pieces)
        var start = 0
        while start < body.count {
            let piece = body[start..<min(body.count, start + size)]
            out += Array((String(piece.count, radix: 16) + "\r\n").utf8) + piece + Array("\r\n".utf8)
            start += size
        }
        return out + Array("0\r\n\r\n".utf8)
    }

    static func sized(_ body: [UInt8], length: Int? = nil) -> [UInt8] {
        Array("HTTP/1.1 200 OK\r\nContent-Length: \(length ?? body.count)\r\nConnection: close\r\n\r\n".utf8) + body
    }

    static let body = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }

    @Test(arguments: [
        ("content-length", sized(body)),
        ("chunked, one piece", chunked(body, pieces: 1)),
        ("chunked, 37 pieces", chunked(body, pieces: 37)),
    ])
    func theWholeBodyArrives(_ framing: String, _ answer: [UInt8]) async throws {
        let server = ScriptedServer(answer: answer)
        defer { server.stop() }
        let transport = AsyncHTTPClientTransport(maxResponseBytes: ResponseBodyTests.body.count)
        let response = try await transport.send(
            HTTPRequest(url: URL(string: "http://127.0.0.1:\(server.port)/2.0/user")!))
        #expect(response.status == 200)
        #expect(response.body == ResponseBodyTests.body, "\(framing)")
    }

    @Test(arguments: [
        ("content-length", sized(body)),
        ("chunked", chunked(body, pieces: 37)),
        // A length that says little, a body that says more: the cap still holds.
        ("a small content-length", sized(body, length: 100)),
    ])
    func oneByteOverTheCapIsRefused(_ framing: String, _ answer: [UInt8]) async throws {
        let server = ScriptedServer(answer: answer)
        defer { server.stop() }
        let transport = AsyncHTTPClientTransport(
            maxResponseBytes: framing == "a small content-length" ? 99 : ResponseBodyTests.body.count - 1)
        do {
            _ = try await transport.send(HTTPRequest(url: URL(string: "http://127.0.0.1:\(server.port)/2.0/user")!))
            Issue.record("an oversized body was accepted (\(framing))")
        } catch let error as TransportError {
            #expect(error.kind == .responseTooLarge, "\(framing): \(error)")
        }
    }
}
