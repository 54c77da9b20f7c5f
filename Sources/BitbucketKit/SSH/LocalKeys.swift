import Foundation

/// A public key this machine can offer when `git clone git@bitbucket.org:…` runs.
public struct LocalKey: Sendable, Equatable, Codable {
    public var key: SSHPublicKey
    /// Where it was found: `~/.ssh/id_ed25519.pub` or `ssh-agent`.
    public var source: String
    /// True when only the `.pub` is here: ssh cannot sign with it (nil in older caches: unknown).
    public var lacksPrivateKey: Bool?

    public init(key: SSHPublicKey, source: String, lacksPrivateKey: Bool = false) {
        self.key = key
        self.source = source
        self.lacksPrivateKey = lacksPrivateKey
    }

    /// ssh can offer it: the agent holds it, or its private key is beside the `.pub`.
    public var canSign: Bool { lacksPrivateKey != true }
}

/// The keys of this machine: the public keys in `~/.ssh/*.pub` and the keys the running
/// `ssh-agent` offers (asked over its socket with the agent protocol, as `ssh-add -L` does).
public enum LocalKeys {
    /// What was found, with a note for each place that could not be read.
    public struct Found: Sendable, Equatable, Codable {
        public var keys: [LocalKey]
        public var notes: [String]

        public init(keys: [LocalKey] = [], notes: [String] = []) {
            self.keys = keys
            self.notes = notes
        }
    }

    /// Reads `home/.ssh/*.pub` and asks the agent at `agentSocket` (when set).
    public static func find(home: String?, agentSocket: String?, timeout: Duration = .seconds(2)) -> Found {
        var found = Found()
        if let home, !home.isEmpty {
            let directory = home + "/.ssh"
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter {
                $0.hasSuffix(".pub")
            }.sorted()
            for name in names {
                let path = directory + "/" + name
                guard let data = FileManager.default.contents(atPath: path), data.count <= 64 << 10 else {
                    found.notes.append("~/.ssh/\(name) could not be read")
                    continue
                }
                // ssh signs with the private key beside the `.pub`: without it the key is of no use
                // here (unless the agent holds it, found below).
                let lacksPrivateKey = access(String(path.dropLast(4)), F_OK) != 0
                for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
                    if let key = SSHPublicKey(line: String(line)) {
                        found.keys.append(
                            LocalKey(key: key, source: "~/.ssh/\(name)", lacksPrivateKey: lacksPrivateKey))
                    }
                }
            }
        }
        if let agentSocket, !agentSocket.isEmpty {
            switch agentKeys(socket: agentSocket, timeout: timeout) {
            case .success(let keys): found.keys += keys.map { LocalKey(key: $0, source: "ssh-agent") }
            case .failure(let note): found.notes.append(note.text)
            }
        }
        return found
    }

    struct Note: Error { var text: String }

    /// SSH2_AGENTC_REQUEST_IDENTITIES (11) → SSH2_AGENT_IDENTITIES_ANSWER (12).
    static func agentKeys(socket path: String, timeout: Duration) -> Result<[SSHPublicKey], Note> {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return .failure(Note(text: "ssh-agent: no socket (\(String(cString: strerror(errno))))")) }
        defer { close(fd) }
        var limit = timeval(
            tv_sec: Int(timeout.components.seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            return .failure(Note(text: "ssh-agent: SSH_AUTH_SOCK is too long"))
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in pathBytes.enumerated() { raw[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            return .failure(
                Note(text: "ssh-agent is not reachable at SSH_AUTH_SOCK (\(String(cString: strerror(errno))))"))
        }
        let request: [UInt8] = [0, 0, 0, 1, 11]
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count
        else {
            return .failure(Note(text: "ssh-agent did not take the request"))
        }
        func read(_ count: Int) -> [UInt8]? {
            var buffer = [UInt8](repeating: 0, count: count)
            var offset = 0
            while offset < count {
                let got = buffer[offset...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if got <= 0 { return nil }
                offset += got
            }
            return buffer
        }
        guard let header = read(4) else { return .failure(Note(text: "ssh-agent did not answer")) }
        let length = Int(header.reduce(0) { $0 << 8 | UInt32($1) })
        guard length > 0, length <= 1 << 20, let body = read(length) else {
            return .failure(Note(text: "ssh-agent gave an answer bbtui cannot read"))
        }
        var reader = SSHWireReader(body)
        guard reader.byte() == 12, let count = reader.uint32(), count <= 10_000 else {
            return .failure(Note(text: "ssh-agent refused to list its keys"))
        }
        var keys: [SSHPublicKey] = []
        for _ in 0..<count {
            guard let blob = reader.string(), let comment = reader.string() else {
                return .failure(Note(text: "ssh-agent gave an answer bbtui cannot read"))
            }
            if let key = SSHPublicKey(blob: blob, comment: String(decoding: comment, as: UTF8.self)) {
                keys.append(key)
            }
        }
        return .success(keys)
    }
}
