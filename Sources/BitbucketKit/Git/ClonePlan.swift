import Foundation

/// How git reaches a repository.
public enum CloneProtocol: String, Sendable, Equatable, CaseIterable {
    case ssh, https
}

/// One clone to make: which repository, from where, into which directory, and the git command
/// that makes it.
public struct CloneJob: Sendable, Equatable, Identifiable {
    public var fullName: String
    public var url: String
    public var cloneProtocol: CloneProtocol
    /// The absolute directory the clone ends up in.
    public var target: String
    /// `git` and its arguments (an argument vector: no shell ever sees them).
    public var arguments: [String]

    public var id: String { fullName }

    /// Creates a job (`ClonePlanner.job` makes them from repositories).
    public init(fullName: String, url: String, cloneProtocol: CloneProtocol, target: String, arguments: [String]) {
        self.fullName = fullName
        self.url = url
        self.cloneProtocol = cloneProtocol
        self.target = target
        self.arguments = arguments
    }
}

/// Why a repository cannot be cloned as asked, in words.
public struct CloneRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var description: String { message }

    public init(_ message: String) { self.message = message }
}

/// Turns a repository into a `CloneJob`: the target from the `clone_dir` setting, the URL, and a
/// git command that can neither be steered by what the network sent nor ask on the terminal.
public struct ClonePlanner: Sendable {
    /// The `clone_dir` setting: a directory (each clone goes in `DIR/{slug}`), or a template with
    /// `{workspace}` and `{slug}` (`~/src/{workspace}/{slug}`).
    public var directoryTemplate: String
    /// The directory bbtui was started in (a relative template is relative to it).
    public var workingDirectory: String
    public var home: String?
    /// The git host of the account: HTTPS clones go there and nowhere else.
    public var gitHost: GitHost
    /// The credential helper git runs for that host (`!'/path/bbtui' git-credential`), or nil to
    /// leave git's own configuration alone.
    public var credentialHelper: String?

    /// Creates a planner.
    public init(
        directoryTemplate: String?, workingDirectory: String, home: String?, gitHost: GitHost,
        credentialHelper: String?
    ) {
        self.directoryTemplate = directoryTemplate ?? ""
        self.workingDirectory = workingDirectory
        self.home = home
        self.gitHost = gitHost
        self.credentialHelper = credentialHelper
    }

    /// The job for `repository` over `cloneProtocol`.
    public func job(for repository: Repository, over cloneProtocol: CloneProtocol) throws(CloneRefusal) -> CloneJob {
        let target = try self.target(workspace: repository.workspaceSlug, slug: repository.slug)
        let url: String
        switch cloneProtocol {
        case .https: url = gitHost.cloneURL(workspace: repository.workspaceSlug, slug: repository.slug)
        case .ssh: url = try Self.sshURL(repository)
        }
        return CloneJob(
            fullName: repository.fullName, url: url, cloneProtocol: cloneProtocol, target: target,
            arguments: arguments(url: url, cloneProtocol: cloneProtocol))
    }

    /// The directory a repository is cloned into: the template with `{workspace}` and `{slug}`
    /// filled in (or `TEMPLATE/{slug}` without placeholders), absolute.
    public func target(workspace: String, slug: String) throws(CloneRefusal) -> String {
        try Self.checkComponent(workspace, what: "workspace")
        try Self.checkComponent(slug, what: "repository slug")
        var template = directoryTemplate.isEmpty ? "." : directoryTemplate
        if template == "~" || template.hasPrefix("~/") {
            guard let home, !home.isEmpty else { throw CloneRefusal("clone_dir starts with ~ but HOME is not set.") }
            template = home + template.dropFirst()
        }
        if !template.contains("{slug}") { template += (template.hasSuffix("/") ? "" : "/") + "{slug}" }
        if !template.hasPrefix("/") { template = workingDirectory + "/" + template }
        // One pass, so a value that itself reads `{slug}` stays literal.
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            let tail = rest[open...]
            if tail.hasPrefix("{workspace}") {
                out += workspace
                rest = tail.dropFirst("{workspace}".count)
            } else if tail.hasPrefix("{slug}") {
                out += slug
                rest = tail.dropFirst("{slug}".count)
            } else {
                out += "{"
                rest = tail.dropFirst()
            }
        }
        out += rest
        return Self.normalize(out)
    }

    /// A workspace or slug must be one directory name: not empty, not `.` or `..`, no `/`, no
    /// control characters. (Bitbucket's slugs are all of that; hostile data is refused, not
    /// altered into something that might collide.)
    static func checkComponent(_ value: String, what: String) throws(CloneRefusal) {
        let bad =
            value.isEmpty || value == "." || value == ".." || value.utf8.count > 255
            || value.unicodeScalars.contains {
                $0 == "/" || $0 == "\\" || $0.value < 0x20 || (0x7F...0x9F).contains($0.value)
            }
        if bad {
            throw CloneRefusal(
                "The \(what) '\(value)' cannot be a directory name: nothing was cloned.")
        }
    }

    /// Removes `.` components and doubled slashes from the person's own template (the values
    /// filled in never contain either).
    public static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
                continue
            }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// The SSH clone link the API sent, accepted only in Bitbucket's form for this repository:
    /// `USER@HOST:WORKSPACE/SLUG.git` (or `ssh://USER@HOST/…`) with a plain host name, so it cannot
    /// name another repository, an option, or a transport such as `ext::`.
    static func sshURL(_ repository: Repository) throws(CloneRefusal) -> String {
        guard let link = repository.cloneSSH else {
            throw CloneRefusal("Bitbucket sent no SSH clone link for \(repository.fullName).")
        }
        let path = repository.workspaceSlug + "/" + repository.slug + ".git"
        var rest = Substring(link)
        var isURL = false
        if rest.hasPrefix("ssh://") {
            rest = rest.dropFirst(6)
            isURL = true
        }
        guard let at = rest.firstIndex(of: "@") else { throw refused(link, repository) }
        let user = rest[..<at]
        rest = rest[rest.index(after: at)...]
        let separator: Character = isURL ? "/" : ":"
        guard let split = rest.firstIndex(of: separator) else { throw refused(link, repository) }
        let host = rest[..<split]
        let tail = rest[rest.index(after: split)...]
        let plain: (Substring) -> Bool = { text in
            !text.isEmpty && !text.hasPrefix("-")
                && text.unicodeScalars.allSatisfy {
                    ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "."
                        || $0 == "-" || $0 == "_"
                }
        }
        guard plain(user), plain(host), tail == path else { throw refused(link, repository) }
        return link
    }

    private static func refused(_ link: String, _ repository: Repository) -> CloneRefusal {
        CloneRefusal(
            "The SSH clone link Bitbucket sent for \(repository.fullName) is not one bbtui will run git on: \(link)"
        )
    }

    /// git's argument vector. Only the transport asked for is allowed (no `ext::`, no `file://`),
    /// HTTP only to a loopback emulator; over HTTPS bbtui's helper answers for the account's git
    /// host (git's other helpers for that host are set aside for this one command); `--` ends the
    /// options, so nothing after it is read as one.
    func arguments(url: String, cloneProtocol: CloneProtocol) -> [String] {
        var arguments = ["git", "-c", "protocol.allow=never"]
        switch cloneProtocol {
        case .ssh:
            arguments += ["-c", "protocol.ssh.allow=always"]
        case .https:
            arguments += ["-c", "protocol.\(gitHost.scheme).allow=always"]
            if let credentialHelper {
                let key = "credential.\(gitHost.origin)"
                arguments += ["-c", "\(key).helper=", "-c", "\(key).helper=\(credentialHelper)"]
                arguments += ["-c", "\(key).useHttpPath=true"]
            }
        }
        return arguments + ["clone", "--progress", "--", url]
    }

    /// The helper value git runs for the binary at `path`: `!'PATH' git-credential`, quoted for
    /// the shell git runs it with.
    public static func helperCommand(executable path: String) -> String {
        "!'" + path.replacingOccurrences(of: "'", with: "'\\''") + "' git-credential"
    }
}
