import TerminalUI

/// Where each part of the browser goes for a screen size; shared by the views and by `update`
/// (which needs the list heights for paging), so the two always agree.
public struct Layout: Equatable, Sendable {
    /// Below this the browser shows "terminal too small".
    public static let minimumSize = Size(width: 30, height: 8)
    /// From this width on, a sidebar; below it, a row of tabs.
    public static let sidebarWidthThreshold = 80
    static let sidebarWidth = 18

    public var header: Rect
    public var sidebar: Rect?
    public var tabs: Rect?
    public var main: Rect
    public var status: Rect
    public var isTooSmall: Bool

    /// Computes the layout.
    public init(size: Size) {
        let screen = Rect(size: size)
        isTooSmall = size.width < Layout.minimumSize.width || size.height < Layout.minimumSize.height
        let rows = screen.splitRows([.fixed(1), .fill(1), .fixed(1)])
        header = rows[0]
        status = rows[2]
        if size.width >= Layout.sidebarWidthThreshold {
            let columns = rows[1].splitColumns([.fixed(Layout.sidebarWidth), .fill(1)])
            sidebar = columns[0]
            tabs = nil
            main = columns[1]
        } else {
            let parts = rows[1].splitRows([.fixed(1), .fill(1)])
            sidebar = nil
            tabs = parts[0]
            main = parts[1]
        }
    }

    /// The inside of the main pane's frame.
    public var mainInner: Rect { main.inset(by: 1) }

    /// Rows of repositories visible (below the info line and the table header).
    public var repositoryRows: Int { max(1, mainInner.height - 2) }

    /// Rows of emails visible (below the table header).
    public var emailRows: Int { max(1, mainInner.height - 1) }
    /// The SSH keys table, below its verdict (up to six lines), a note, a blank line and its header.
    public var keyRows: Int { max(1, mainInner.height - 9) }
}
