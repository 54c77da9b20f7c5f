/// A terminal size in cells.
public struct Size: Sendable, Hashable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    /// Creates a size, clamping negative values to zero.
    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
    }

    public var description: String { "\(width)×\(height)" }
}

/// A cell position, column `x` and row `y`, zero-based from the top left.
public struct Point: Sendable, Hashable {
    public var x: Int
    public var y: Int

    /// Creates a point.
    public init(x: Int, y: Int) {
        self.x = x
        self.y = y
    }
}

/// How much space one part of a split takes.
public enum Constraint: Sendable, Hashable {
    /// Exactly this many cells (less if the whole is too small).
    case fixed(Int)
    /// A share of what the fixed parts leave, by weight.
    case fill(Int)
}

/// A rectangle of cells; the unit of layout.
///
/// Splitting never produces negative sizes: a rectangle too small for its parts yields parts
/// of width or height zero, which widgets draw as nothing. That is what makes a 1×1 terminal safe.
public struct Rect: Sendable, Hashable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    /// Creates a rectangle, clamping negative sizes to zero.
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    /// The rectangle covering a whole screen of `size`.
    public init(size: Size) {
        self.init(x: 0, y: 0, width: size.width, height: size.height)
    }

    public var description: String { "(\(x),\(y) \(width)×\(height))" }

    /// True when the rectangle holds no cell.
    public var isEmpty: Bool { width == 0 || height == 0 }
    /// The column just right of the rectangle.
    public var maxX: Int { x + width }
    /// The row just below the rectangle.
    public var maxY: Int { y + height }

    /// The rectangle shrunk by the given margins on each side.
    public func inset(top: Int = 0, left: Int = 0, bottom: Int = 0, right: Int = 0) -> Rect {
        Rect(x: x + left, y: y + top, width: width - left - right, height: height - top - bottom)
    }

    /// The rectangle shrunk by `amount` on all four sides.
    public func inset(by amount: Int) -> Rect {
        inset(top: amount, left: amount, bottom: amount, right: amount)
    }

    /// The part of this rectangle that also lies in `other`.
    public func intersection(_ other: Rect) -> Rect {
        let left = max(x, other.x)
        let top = max(y, other.y)
        let right = min(maxX, other.maxX)
        let bottom = min(maxY, other.maxY)
        return Rect(x: left, y: top, width: right - left, height: bottom - top)
    }

    /// One row of this rectangle, relative to its top (empty when out of range).
    public func row(_ index: Int) -> Rect {
        guard index >= 0, index < height else { return Rect(x: x, y: y + height, width: width, height: 0) }
        return Rect(x: x, y: y + index, width: width, height: 1)
    }

    /// A rectangle of `size` centred in this one (clipped to it).
    public func centered(width w: Int, height h: Int) -> Rect {
        let cw = min(w, width)
        let ch = min(h, height)
        return Rect(x: x + (width - cw) / 2, y: y + (height - ch) / 2, width: cw, height: ch)
    }

    /// Splits top to bottom.
    public func splitRows(_ constraints: [Constraint]) -> [Rect] {
        Rect.distribute(height, constraints).enumerated().reduce(into: [Rect]()) { parts, item in
            let top = parts.last.map { $0.maxY } ?? y
            parts.append(Rect(x: x, y: top, width: width, height: item.element))
        }
    }

    /// Splits left to right.
    public func splitColumns(_ constraints: [Constraint]) -> [Rect] {
        Rect.distribute(width, constraints).enumerated().reduce(into: [Rect]()) { parts, item in
            let left = parts.last.map { $0.maxX } ?? x
            parts.append(Rect(x: left, y: y, width: item.element, height: height))
        }
    }

    /// Shares `total` cells out: fixed parts first (in order, while space lasts), then the rest
    /// by weight, the remainder of the division going to the earliest fill parts.
    static func distribute(_ total: Int, _ constraints: [Constraint]) -> [Int] {
        var remaining = max(0, total)
        var sizes = [Int](repeating: 0, count: constraints.count)
        for (index, constraint) in constraints.enumerated() {
            if case .fixed(let n) = constraint {
                sizes[index] = min(max(0, n), remaining)
                remaining -= sizes[index]
            }
        }
        let weights = constraints.map { constraint -> Int in
            if case .fill(let w) = constraint { return max(0, w) }
            return 0
        }
        let totalWeight = weights.reduce(0, +)
        guard totalWeight > 0 else { return sizes }
        var given = 0
        for (index, weight) in weights.enumerated() where weight > 0 {
            sizes[index] = remaining * weight / totalWeight
            given += sizes[index]
        }
        var leftover = remaining - given
        for (index, weight) in weights.enumerated() where weight > 0 && leftover > 0 {
            sizes[index] += 1
            leftover -= 1
        }
        return sizes
    }
}
