import Crypto
import Foundation

/// An OpenSSH public key (`ssh-ed25519 AAAA… comment`), with what `ssh-keygen -lf` prints about
/// it: its size in bits, its SHA-256 fingerprint and its type name.
public struct SSHPublicKey: Sendable, Equatable, Hashable, Codable {
    /// The algorithm as written (`ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, …).
    public var algorithm: String
    /// The decoded key blob.
    public var blob: [UInt8]
    public var comment: String

    /// Parses one `algorithm base64 [comment]` line; nil for anything else (or a blob whose own
    /// algorithm name disagrees with the line's, which `ssh-keygen` refuses too).
    public init?(line: String) {
        let parts = line.trimmingCharacters(in: .whitespacesAndNewlines).split(
            separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard parts.count >= 2, let data = Data(base64Encoded: String(parts[1])) else { return nil }
        self.init(algorithm: String(parts[0]), blob: Array(data), comment: parts.count > 2 ? String(parts[2]) : "")
    }

    /// A key from its blob (as an agent hands it out).
    public init?(blob: [UInt8], comment: String) {
        var reader = SSHWireReader(blob)
        guard let name = reader.string().flatMap({ String(bytes: $0, encoding: .utf8) }) else { return nil }
        self.init(algorithm: name, blob: blob, comment: comment)
    }

    private init?(algorithm: String, blob: [UInt8], comment: String) {
        var reader = SSHWireReader(blob)
        guard let inner = reader.string(), String(decoding: inner, as: UTF8.self) == algorithm else { return nil }
        self.algorithm = algorithm
        self.blob = blob
        self.comment = comment
    }

    /// `SHA256:` and the unpadded base64 of the blob's SHA-256, as `ssh-keygen -l` prints it.
    public var fingerprint: String {
        "SHA256:" + Data(SHA256.hash(data: blob)).base64EncodedString().replacingOccurrences(of: "=", with: "")
    }

    /// The type as `ssh-keygen -l` names it: `ED25519`, `RSA`, `ECDSA`, `ED25519-SK`, `ECDSA-SK`, `DSA`.
    public var typeName: String {
        switch algorithm {
        case "ssh-ed25519": return "ED25519"
        case "sk-ssh-ed25519@openssh.com": return "ED25519-SK"
        case "ssh-rsa": return "RSA"
        case "ssh-dss": return "DSA"
        case let name where name.hasPrefix("ecdsa-sha2-"): return "ECDSA"
        case let name where name.hasPrefix("sk-ecdsa-sha2-"): return "ECDSA-SK"
        default: return algorithm.uppercased()
        }
    }

    /// The key's size as `ssh-keygen -l` reports it (the RSA/DSA modulus' bits, the curve's size).
    public var bits: Int? {
        var reader = SSHWireReader(blob)
        _ = reader.string()
        switch algorithm {
        case "ssh-ed25519", "sk-ssh-ed25519@openssh.com":
            return 256
        case "ssh-rsa":
            _ = reader.string() // e
            return reader.string().map(SSHWireReader.bitLength)
        case "ssh-dss":
            return reader.string().map(SSHWireReader.bitLength)
        case "ecdsa-sha2-nistp256", "sk-ecdsa-sha2-nistp256@openssh.com": return 256
        case "ecdsa-sha2-nistp384": return 384
        case "ecdsa-sha2-nistp521": return 521
        default: return nil
        }
    }

    /// The line again, as it would go into `authorized_keys` or Bitbucket's form.
    public var line: String {
        algorithm + " " + Data(blob).base64EncodedString() + (comment.isEmpty ? "" : " " + comment)
    }
}

/// Reads SSH wire format: `uint32` lengths and the bytes after them.
struct SSHWireReader {
    private let bytes: [UInt8]
    private(set) var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { index >= bytes.count }

    mutating func uint32() -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        defer { index += 4 }
        return bytes[index..<(index + 4)].reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func byte() -> UInt8? {
        guard index < bytes.count else { return nil }
        defer { index += 1 }
        return bytes[index]
    }

    mutating func string() -> [UInt8]? {
        guard let length = uint32(), Int(length) <= bytes.count - index else { return nil }
        defer { index += Int(length) }
        return Array(bytes[index..<(index + Int(length))])
    }

    /// The bit length of an mpint (leading zero bytes and bits do not count).
    static func bitLength(_ mpint: [UInt8]) -> Int {
        guard let first = mpint.firstIndex(where: { $0 != 0 }) else { return 0 }
        return (mpint.count - first - 1) * 8 + (8 - mpint[first].leadingZeroBitCount)
    }
}
