import Foundation

/// A key on the Bitbucket account (`GET /users/{selected_user}/ssh-keys`).
public struct SSHKey: Sendable, Equatable, Codable {
    public var uuid: String
    /// The OpenSSH public key as Bitbucket stores it.
    public var key: String
    public var label: String
    public var comment: String
    public var createdOn: Date?
    public var lastUsed: Date?
    public var expiresOn: Date?

    public init(
        uuid: String, key: String, label: String = "", comment: String = "", createdOn: Date? = nil,
        lastUsed: Date? = nil, expiresOn: Date? = nil
    ) {
        self.uuid = uuid
        self.key = key
        self.label = label
        self.comment = comment
        self.createdOn = createdOn
        self.lastUsed = lastUsed
        self.expiresOn = expiresOn
    }

    /// The parsed key (nil when Bitbucket's text is not a key bbtui can read).
    public var publicKey: SSHPublicKey? { SSHPublicKey(line: key) }
}

/// The account's keys against this machine's: which would let `git clone git@bitbucket.org:…`
/// in, and which are expired or long unused.
public struct SSHKeyReport: Sendable, Equatable, Codable {
    public struct Row: Sendable, Equatable, Codable {
        public var key: SSHKey
        public var typeName: String?
        public var bits: Int?
        public var fingerprint: String?
        /// Where this machine has the key (`~/.ssh/id_ed25519.pub`, `ssh-agent`), nil when it does not.
        public var localSource: String?
        public var isExpired: Bool
        /// Never used, or last used more than a year ago.
        public var isStale: Bool
        /// Only the `.pub` is here: no private key beside it, and the agent does not hold it.
        public var lacksPrivateKey: Bool?
        /// This machine can sign with it and Bitbucket still accepts it.
        public var isUsableHere: Bool { localSource != nil && !isExpired && lacksPrivateKey != true }
    }

    public var rows: [Row]
    /// This machine's keys, each once (by fingerprint), files first.
    public var localKeys: [LocalKey]
    /// Places that could not be read (an agent that does not answer, an unreadable file).
    public var notes: [String]

    public var usableCount: Int { rows.filter(\.isUsableHere).count }

    /// The local key to add to Bitbucket when none is usable: the first one found (files before
    /// the agent), preferring Ed25519.
    public var keyToAdd: LocalKey? {
        localKeys.first { $0.key.algorithm == "ssh-ed25519" } ?? localKeys.first
    }

    /// Matches account keys against local ones by fingerprint.
    public init(accountKeys: [SSHKey], local: LocalKeys.Found, now: Date) {
        var seen = Set<String>()
        localKeys = local.keys.filter { seen.insert($0.key.fingerprint).inserted }
        notes = local.notes
        // A copy that can sign (the agent's, or a file with its private key) wins over one that cannot.
        var sources: [String: LocalKey] = [:]
        for key in local.keys
        where sources[key.key.fingerprint] == nil
            || sources[key.key.fingerprint]?.canSign == false
                && key.canSign
        {
            sources[key.key.fingerprint] = key
        }
        let yearAgo = now.addingTimeInterval(-365 * 86_400)
        rows = accountKeys.map { key in
            let parsed = key.publicKey
            let fingerprint = parsed?.fingerprint
            let isStale = key.lastUsed.map { $0 < yearAgo } ?? ((key.createdOn ?? now) < yearAgo)
            return Row(
                key: key, typeName: parsed?.typeName, bits: parsed?.bits, fingerprint: fingerprint,
                localSource: fingerprint.flatMap { sources[$0]?.source },
                isExpired: key.expiresOn.map { $0 <= now } ?? false, isStale: isStale,
                lacksPrivateKey: fingerprint.flatMap { sources[$0].map { !$0.canSign } }
            )
        }
    }
}
