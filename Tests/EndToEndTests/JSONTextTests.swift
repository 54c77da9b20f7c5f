import BitbucketKit
import Foundation
import TestSupport
import Testing

@testable import bbtui

/// `repos --json` is written by hand for speed; it must be the very text `json()` (JSONEncoder
/// plus `JSONSafety`) prints, whatever the strings hold.
@Suite struct JSONTextTests {
    /// Hostile text and repositories from the tests' seeded generator.
    struct Random {
        var generator: SeededGenerator
        init(state: UInt64) { generator = SeededGenerator(seed: state) }
        mutating func next() -> UInt64 { generator.next() }
        mutating func int(_ bound: Int) -> Int { generator.int(bound) }

        /// Hostile text: controls, DEL, C1, bidi, separators, quotes, backslashes, astral scalars.
        mutating func text() -> String {
            let pool: [UInt32] = [
                0x00, 0x07, 0x08, 0x09, 0x0A, 0x0C, 0x0D, 0x1B, 0x1F, 0x22, 0x2F, 0x5C, 0x7F, 0x80, 0x9B, 0x9F, 0xA0,
                0xE9, 0x061C, 0x200B, 0x200E, 0x2028, 0x2029, 0x202E, 0x2066, 0x2069, 0xFEFF, 0xFFFD, 0x1F680, 0x10FFFF,
            ]
            var scalars = String.UnicodeScalarView()
            for _ in 0..<int(12) {
                let value = int(3) == 0 ? pool[int(pool.count)] : UInt32(0x20 + int(0x5F))
                scalars.append(Unicode.Scalar(value)!)
            }
            if int(4) == 0, let scalar = Unicode.Scalar(UInt32(int(0xD7FF))) { scalars.append(scalar) }
            return String(scalars)
        }
    }

    @Test func handWrittenJSONIsExactlyWhatTheEncoderWrites() {
        var random = Random(state: 7)
        for round in 0..<300 {
            let repositories = (0..<(round % 5)).map { index -> Repository in
                if index % 2 == 1 {
                    // Links that follow Bitbucket's patterns are written from their pieces.
                    let (workspace, slug, user) = (random.text(), random.text(), random.text())
                    let fullName = "\(workspace)/\(slug)"
                    return Repository(
                        uuid: "{\(index)}", name: random.text(), slug: slug, fullName: fullName,
                        workspaceSlug: workspace,
                        cloneHTTPS: "https://\(user)@bitbucket.org/\(fullName).git",
                        cloneSSH: random.int(2) == 0
                            ? "git@ssh.bitbucket.org:\(fullName).git" : "git@bitbucket.org:\(fullName).git",
                        webURL: "https://bitbucket.org/\(fullName)"
                    )
                }
                return Repository(
                    uuid: "{\(index)}", name: random.text(), slug: random.text(), fullName: random.text(),
                    workspaceSlug: random.text(),
                    description: random.text(), isPrivate: random.int(2) == 0, language: random.text(),
                    size: random.int(3) == 0 ? nil : Int64(random.int(Int(Int32.max))) - 5,
                    createdOn: random.int(3) == 0
                        ? nil : Date(timeIntervalSince1970: Double(random.int(4_000_000_000)) - 1_000_000_000 + 0.75),
                    updatedOn: random.int(3) == 0
                        ? nil : Date(timeIntervalSince1970: Double(random.int(2_000_000_000))),
                    mainBranch: random.int(2) == 0 ? nil : random.text(),
                    forkPolicy: random.int(2) == 0 ? nil : random.text(),
                    projectKey: random.int(2) == 0 ? nil : random.text(),
                    parentFullName: random.int(2) == 0 ? nil : random.text(),
                    cloneHTTPS: random.int(2) == 0 ? nil : random.text(),
                    cloneSSH: random.int(2) == 0 ? nil : random.text(),
                    webURL: random.int(2) == 0 ? nil : random.text()
                )
            }
            let expected = json(repositories.map(ReposCommand.Output.init))
            let actual = JSONText.array(repositories) { text, repository in
                ReposCommand.Output.write(repository, to: &text)
            }
            #expect(actual == expected, "round \(round)")
            if actual != expected { break }
        }
    }
}
