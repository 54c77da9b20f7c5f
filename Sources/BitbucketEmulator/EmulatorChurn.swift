/// The account as it is now, and the churn that will change it.
struct LiveData: Sendable {
    var data: EmulatorData
    var churn: Churn
}

/// Deterministic changes to the account: creations, deletions, renames, updates and moves
/// between workspaces, in a fixed cycle, each stamped with a later `updated_on` than anything
/// before it (as Bitbucket stamps every change).
struct Churn: Sendable {
    enum Kind: String, CaseIterable { case create, delete, rename, update, move }

    /// Changes still to make, one per repository listing request.
    var pending: Int
    var random: SeededRandom
    /// The logical clock: seconds since 1970, past every date in the data.
    var clock: Int
    var step = 0
    var created = 0

    init(seed: UInt64, pending: Int, data: EmulatorData) {
        self.pending = max(0, pending)
        random = SeededRandom(seed: seed ^ 0xC4_0C4)
        clock = (data.repositories.map(\.updatedOn).max() ?? 1_795_000_000) + 60
    }

    /// Makes one change and describes it ("create acme-platform/churn-1").
    mutating func apply(to data: inout EmulatorData, only: Kind? = nil) -> String {
        data.generation += 1
        clock += 1 + random.int(0..<5)
        let kind = only ?? Kind.allCases[step % Kind.allCases.count]
        step += 1
        let live = data.repositories.indices.filter { !data.repositories[$0].isDeleted }
        func slug(_ index: Int) -> String {
            "\(data.workspaces[data.repositories[index].workspace].slug)/\(data.repositories[index].slug)"
        }
        func freeSlug(_ base: String, in workspace: Int) -> String {
            let used = Set(data.repositories.filter { !$0.isDeleted && $0.workspace == workspace }.map(\.slug))
            var candidate = base
            var counter = 2
            while used.contains(candidate) {
                candidate = "\(base)-\(counter)"
                counter += 1
            }
            return candidate
        }
        if kind == .create || live.isEmpty {
            created += 1
            let workspace = random.int(0..<data.workspaces.count)
            let slug = freeSlug("churn-\(created)", in: workspace)
            data.repositories.append(
                EmulatedRepository(
                    uuid: random.uuid(), name: slug, slug: slug, workspace: workspace,
                    description: "Created while you were listing.",
                    isPrivate: true, language: "swift", size: 1_024 + random.int(0..<4_096), createdOn: clock,
                    updatedOn: clock,
                    mainBranch: "main", forkPolicy: "no_public_forks", hasIssues: false, hasWiki: false,
                    project: random.int(0..<data.workspaces[workspace].projects.count), parent: nil, website: nil
                ))
            return "create \(self.slug(data, data.repositories.count - 1))"
        }
        let index = live[random.int(0..<live.count)]
        let before = slug(index)
        switch kind {
        case .delete:
            data.repositories[index].isDeleted = true
            return "delete \(before)"
        case .rename:
            let renamed = freeSlug(data.repositories[index].slug + "-renamed", in: data.repositories[index].workspace)
            data.repositories[index].slug = renamed
            data.repositories[index].name = renamed
            data.repositories[index].updatedOn = clock
            return "rename \(before) \(slug(index))"
        case .update:
            data.repositories[index].description = "Updated at \(ISODate.format(clock))."
            data.repositories[index].updatedOn = clock
            return "update \(before)"
        case .move:
            guard data.workspaces.count > 1 else {
                data.repositories[index].updatedOn = clock
                return "update \(before)"
            }
            let target =
                (data.repositories[index].workspace + 1 + random.int(0..<(data.workspaces.count - 1)))
                % data.workspaces.count
            data.repositories[index].slug = freeSlug(data.repositories[index].slug, in: target)
            data.repositories[index].workspace = target
            data.repositories[index].project = random.int(0..<data.workspaces[target].projects.count)
            data.repositories[index].updatedOn = clock
            return "move \(before) \(slug(index))"
        case .create:
            return ""
        }
    }

    private func slug(_ data: EmulatorData, _ index: Int) -> String {
        "\(data.workspaces[data.repositories[index].workspace].slug)/\(data.repositories[index].slug)"
    }
}

extension EmulatorCore {
    /// Makes `now` changes at once and queues `queue` more for the next listing requests.
    @discardableResult
    func churn(now: Int, queue: Int, only: Churn.Kind? = nil) -> [String] {
        let changes = live.withLock { live -> [String] in
            live.churn.pending += queue
            return (0..<now).map { _ in live.churn.apply(to: &live.data, only: only) }
        }
        if !changes.isEmpty { sortCache.withLock { $0.removeAll() } }
        return changes
    }

    /// One queued change, made as a repository listing request arrives.
    func churnDuringListing() {
        let changed = live.withLock { live -> Bool in
            guard live.churn.pending > 0 else { return false }
            live.churn.pending -= 1
            _ = live.churn.apply(to: &live.data)
            return true
        }
        if changed { sortCache.withLock { $0.removeAll() } }
    }
}
