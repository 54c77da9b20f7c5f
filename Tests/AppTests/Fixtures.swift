import Foundation
import TerminalUI
import Testing

@testable import App
@testable import BitbucketKit

/// Deterministic data and states for update and view tests.
enum Fixtures {
    static let now = Date(timeIntervalSince1970: 1_795_000_000) // 2026-11-17T...
    static let account = AccountSummary(
        id: "{u}", username: "zoe", displayName: "Zoë Ångström-李", tokenExpiresAt: now.addingTimeInterval(7140),
        storePath: "~/.config/bbtui")

    static let user = User(
        uuid: "{9387d416-d30d-404e-af89-a3073c25e3cf}", displayName: "Zoë Ångström-李", nickname: "zoe",
        username: "zoe-angstrom",
        accountID: "557058:9686ce8d", accountStatus: "active", createdOn: Date(timeIntervalSince1970: 1_365_759_067),
        isStaff: false,
        hasTwoFactorAuthentication: nil, location: "Zürich", website: nil, avatarURL: "https://avatar.example/z.png",
        webURL: "https://bitbucket.org/zoe/", grantedScopes: ["account", "email", "repository"]
    )

    static let emails = [
        Email(address: "zoe+old@example.net", isPrimary: false, isConfirmed: false),
        Email(address: "zoe@example.com", isPrimary: true, isConfirmed: true),
        Email(address: "zoe.angstrom@work.example.org", isPrimary: false, isConfirmed: true),
    ]

    static func repository(
        _ index: Int, name: String? = nil, workspace: String = "acme-platform", description: String = "",
        language: String = "swift", days: Double? = nil, size: Int64? = nil, isPrivate: Bool = true
    ) -> Repository {
        let repoName = name ?? "repo-\(index)"
        let slug = repoName.lowercased()
        return Repository(
            uuid: "{r\(index)}", name: repoName, slug: slug, fullName: "\(workspace)/\(slug)", workspaceSlug: workspace,
            workspaceName: nil,
            description: description, isPrivate: isPrivate, language: language, size: size ?? Int64(1000 * (index + 1)),
            createdOn: now.addingTimeInterval(-86_400 * 400),
            updatedOn: now.addingTimeInterval(-86_400 * (days ?? Double(index + 1))),
            mainBranch: "main", forkPolicy: "no_public_forks", hasIssues: true, hasWiki: false, projectKey: "PROJ",
            projectName: "Main project",
            parentFullName: nil, cloneHTTPS: "https://zoe@bitbucket.org/\(workspace)/\(slug).git",
            cloneSSH: "git@ssh.bitbucket.org:\(workspace)/\(slug).git",
            webURL: "https://bitbucket.org/\(workspace)/\(slug)", website: nil
        )
    }

    static let repositories: [Repository] = [
        repository(
            0, name: "api-gateway", description: "Edge routing for every public API.", language: "go",
            size: 3_900_000_000),
        repository(1, name: "日本語ドキュメント", workspace: "data-science", language: "", size: 784),
        repository(
            2, name: "🚀 launcher", workspace: "mobile-guild", description: "Launches things.", language: "rust",
            isPrivate: false),
        repository(3, name: "billing", language: "python"),
        repository(
            4, name: "evil\u{1B}[2Jname", workspace: "data-science",
            description: "clip\u{1B}]52;c;ZXZpbA==\u{07}board \u{202E}gnp.exe", language: "c"),
    ]

    static func browser(repositories: [Repository] = repositories) -> BrowserState {
        var browser = BrowserState(account: account)
        browser.user = .loaded(Snapshot(user, fetchedAt: now))
        browser.emails = .loaded(Snapshot(emails, fetchedAt: now))
        browser.workspaces = .loaded(Snapshot([], fetchedAt: now))
        browser.repositories.replaceAll(repositories)
        browser.repositories.progress = .done(fetchedAt: now, isCached: false)
        return browser
    }

    static func state(_ page: AppState.Page, size: Size = Size(width: 80, height: 24)) -> AppState {
        AppState(
            page: page, size: size, now: now,
            environment: Environment(isSSH: false, hasDisplay: false, hostName: "devbox", isDemo: false))
    }

    static let request = AuthorizationRequest.make(
        configuration: OAuthConfiguration(
            clientID: "emuKey4bbtuiDemo01", clientSecret: "s",
            authorizeURL: URL(string: "https://bitbucket.org/site/oauth2/authorize")!),
        state: "st4te", verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r7wW1gFWFOEjXk"
    )

    static func login(phase: LoginState.Phase = .waiting, field: String = "", problem: String? = nil) -> LoginState {
        var login = LoginState()
        login.request = request
        login.phase = phase
        login.listener = .listening(port: 8976)
        login.field = TextFieldState(text: field, maxLength: PastedAuthorization.maxLength)
        login.problem = problem
        return login
    }
}

/// Compares a screen with a stored text snapshot; `BBTUI_RECORD_SNAPSHOTS=1` re-records.
func assertSnapshot(
    _ screen: Screen, named name: String, filePath: String = #filePath,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let directory = (filePath as NSString).deletingLastPathComponent + "/Snapshots"
    let path = directory + "/" + name + ".txt"
    let actual = screen.lines.joined(separator: "\n") + "\n" + styleLayer(screen)
    let isRecording = ProcessInfo.processInfo.environment["BBTUI_RECORD_SNAPSHOTS"] == "1"
    if isRecording || !FileManager.default.fileExists(atPath: path) {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try? actual.write(toFile: path, atomically: true, encoding: .utf8)
        if !isRecording {
            Issue.record("Recorded a new snapshot \(name); check it and run again.", sourceLocation: sourceLocation)
        }
        return
    }
    let expected = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    #expect(actual == expected, "snapshot \(name) differs", sourceLocation: sourceLocation)
}

/// The styles of a screen, as ratatui's buffer tests keep them: per row, the runs of cells that
/// are not plain (`3: 0-15 reverse+bold, 18-79 fg:red`), so a snapshot catches a lost selection,
/// a wrong colour or a row that should be dim.
func styleLayer(_ screen: Screen) -> String {
    func name(_ style: Style) -> String {
        var parts: [String] = []
        if style.attributes.contains(.bold) { parts.append("bold") }
        if style.attributes.contains(.dim) { parts.append("dim") }
        if style.attributes.contains(.reverse) { parts.append("reverse") }
        if style.attributes.contains(.underline) { parts.append("underline") }
        if style.foreground != .default { parts.append("fg:\(style.foreground)") }
        if style.background != .default { parts.append("bg:\(style.background)") }
        return parts.joined(separator: "+")
    }
    var out = "── styles ──\n"
    for y in 0..<screen.size.height {
        var runs: [String] = []
        var x = 0
        while x < screen.size.width {
            let style = screen[x, y].style
            var end = x
            while end + 1 < screen.size.width, screen[end + 1, y].style == style { end += 1 }
            if style != .plain { runs.append("\(x)-\(end) \(name(style))") }
            x = end + 1
        }
        if !runs.isEmpty { out += "\(y): " + runs.joined(separator: ", ") + "\n" }
    }
    return out
}
