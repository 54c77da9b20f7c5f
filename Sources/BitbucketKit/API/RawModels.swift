import Foundation

/// The API's JSON shapes, decoded tolerantly: only identity fields are required, everything
/// else is optional so a field Bitbucket drops tomorrow does not break the listing.
struct RawLink: Decodable { var href: String? }

struct RawNamedLink: Decodable {
    var name: String?
    var href: String?
}

struct RawPage<Value: Decodable>: Decodable {
    var values: [Value]
    var next: String?
    var size: Int?
    var page: Int?
    var pagelen: Int?
}

struct RawUser: Decodable {
    var uuid: String
    var display_name: String?
    var nickname: String?
    var username: String?
    var account_id: String?
    var account_status: String?
    var created_on: String?
    var is_staff: Bool?
    var has_2fa_enabled: Bool?
    var location: String?
    var website: String?
    var links: Links?

    struct Links: Decodable {
        var avatar: RawLink?
        var html: RawLink?
    }

    func model(scopes: [String]) -> User {
        User(
            uuid: uuid, displayName: display_name ?? nickname ?? username ?? uuid, nickname: nickname,
            username: username,
            accountID: account_id, accountStatus: account_status, createdOn: created_on.flatMap(BitbucketDate.parse),
            isStaff: is_staff, hasTwoFactorAuthentication: has_2fa_enabled, location: location, website: website,
            avatarURL: links?.avatar?.href, webURL: links?.html?.href, grantedScopes: scopes
        )
    }
}

struct RawEmail: Decodable {
    var email: String
    var is_primary: Bool?
    var is_confirmed: Bool?

    var model: Email { Email(address: email, isPrimary: is_primary ?? false, isConfirmed: is_confirmed ?? false) }
}

struct RawWorkspaceAccess: Decodable {
    var administrator: Bool?
    var workspace: RawWorkspace
}

struct RawWorkspace: Decodable {
    var uuid: String?
    var slug: String
    var name: String?
}

struct RawRepository: Decodable {
    var uuid: String
    var name: String?
    var slug: String?
    var full_name: String
    var description: String?
    var is_private: Bool?
    var language: String?
    var size: Int64?
    var created_on: String?
    var updated_on: String?
    var mainbranch: Branch?
    var fork_policy: String?
    var has_issues: Bool?
    var has_wiki: Bool?
    var project: Project?
    var workspace: RawWorkspace?
    var parent: Parent?
    var links: Links?
    var website: String?

    struct Branch: Decodable { var name: String? }
    struct Project: Decodable {
        var key: String?
        var name: String?
    }
    struct Parent: Decodable {
        var full_name: String?
        var uuid: String?
    }
    struct Links: Decodable {
        var html: RawLink?
        var clone: [RawNamedLink]?
    }

    var model: Repository {
        let workspaceSlug = workspace?.slug ?? String(full_name.split(separator: "/").first ?? "")
        let fallbackSlug = full_name.split(separator: "/").last.map(String.init) ?? full_name
        return Repository(
            uuid: uuid, name: name ?? slug ?? fallbackSlug, slug: slug ?? fallbackSlug, fullName: full_name,
            workspaceSlug: workspaceSlug, workspaceName: workspace?.name, description: description ?? "",
            isPrivate: is_private ?? true, language: language ?? "", size: size,
            createdOn: created_on.flatMap(BitbucketDate.parse), updatedOn: updated_on.flatMap(BitbucketDate.parse),
            mainBranch: mainbranch?.name, forkPolicy: fork_policy, hasIssues: has_issues, hasWiki: has_wiki,
            projectKey: project?.key, projectName: project?.name, parentFullName: parent?.full_name,
            parentUUID: parent?.uuid,
            cloneHTTPS: links?.clone?.first { $0.name == "https" }?.href,
            cloneSSH: links?.clone?.first { $0.name == "ssh" }?.href,
            webURL: links?.html?.href, website: website
        )
    }
}

/// The API's error envelope; `detail` may be a string or an object.
struct RawErrorEnvelope: Decodable {
    var error: Body?

    struct Body: Decodable {
        var message: String?
        var detail: Detail?
    }

    enum Detail: Decodable {
        case text(String)
        case scopes(required: [String], granted: [String])
        case other

        init(from decoder: any Decoder) throws {
            if let text = try? decoder.singleValueContainer().decode(String.self) {
                self = .text(text)
                return
            }
            struct Scopes: Decodable {
                var required: [String]?
                var granted: [String]?
            }
            if let scopes = try? decoder.singleValueContainer().decode(Scopes.self), let required = scopes.required {
                self = .scopes(required: required, granted: scopes.granted ?? [])
                return
            }
            self = .other
        }
    }
}

/// Bitbucket's timestamps, `2013-04-12T09:31:07.051573+00:00`, parsed by hand: several times
/// faster than a formatter, which matters when decoding 100,000 repositories.
public enum BitbucketDate {
    /// Parses an ISO 8601 date-time with optional fraction and a `Z` or `±HH:MM` offset.
    public static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { parse(bytes: $0) }
    }

    /// The same, from the bytes (no copy: this runs twice per repository).
    static func parse(bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        guard bytes.count >= 19, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " ")
        else { return nil }
        func number(_ start: Int, _ count: Int) -> Int? {
            var value = 0
            for index in start..<(start + count) {
                let digit = Int(bytes[index]) - 48
                guard (0...9).contains(digit) else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            while index < bytes.count, (48...57).contains(bytes[index]) {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var offset = 0
        if index < bytes.count {
            let sign = bytes[index]
            if sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                guard bytes.count >= index + 6, let oh = number(index + 1, 2), let om = number(index + 4, 2) else {
                    return nil
                }
                offset = (oh * 3600 + om * 60) * (sign == UInt8(ascii: "+") ? 1 : -1)
            } else if sign != UInt8(ascii: "Z") {
                return nil
            }
        }
        // Days from civil (Howard Hinnant).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }
}
