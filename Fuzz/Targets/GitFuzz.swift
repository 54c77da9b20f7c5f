import Foundation

// libFuzzer target: git's side. Whatever git (or anyone) writes to the credential helper, the
// parser answers without trapping and no value carries a line break back; whatever git prints
// as progress reads as a phase and a percentage within 0–100; whatever names the network sends,
// a clone's target is refused or stays one directory under clone_dir, and an SSH link that is
// accepted can be neither an option nor another transport.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGit(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let query = GitCredential.parse(text)
    for (key, value) in query.fields {
        precondition(!key.contains("\n") && !value.contains("\n") && !key.contains("="), "a field kept a line break")
    }
    let host = GitHost(apiURL: URL(string: "https://api.bitbucket.org/2.0")!)
    if host.matches(protocol: query.scheme, host: query.host) {
        precondition(query.scheme?.lowercased() == "https", "matched another scheme")
    }
    for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
        if let progress = CloneProgress.parse(String(line)) {
            precondition(progress.percent.map { (0...100).contains($0) } ?? true, "a percentage out of range")
            precondition(!progress.phase.isEmpty, "an empty phase")
        }
    }
    let parts = text.split(separator: "\u{0}", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
    let workspace = parts.first ?? ""
    let slug = parts.count > 1 ? parts[1] : ""
    let planner = ClonePlanner(
        directoryTemplate: "/srv/{workspace}/{slug}", workingDirectory: "/work", home: "/home/zoe", gitHost: host,
        credentialHelper: nil)
    if let target = try? planner.target(workspace: workspace, slug: slug) {
        precondition(target == "/srv/\(workspace)/\(slug)", "a target escaped: \(target)")
    }
    let link = parts.count > 2 ? parts[2] : text
    let repository = Repository(
        uuid: "u", name: slug, slug: slug, fullName: "\(workspace)/\(slug)", workspaceSlug: workspace,
        cloneSSH: link)
    if let job = try? planner.job(for: repository, over: .ssh) {
        precondition(!job.url.hasPrefix("-") && !job.url.contains("::") && !job.url.contains(" "), "a hostile link")
        precondition(job.arguments.suffix(2).first == "--", "the options were not ended")
    }
    return 0
}
