import Foundation

/// A one-line progress bar on standard error: step, epoch, loss, accuracy, images/s and ETA.
/// On a terminal it redraws in place; otherwise (CI, pipes) it prints a line every `lineEvery` seconds.
public final class ProgressDisplay {
    public let label: String
    private let interactive: Bool
    private let lineEvery: Double
    private var total = 0
    private var started = Date()
    private var lastDraw = Date.distantPast
    private var images = 0
    private var skipped = 0
    private var lastLine = ""

    public init(label: String, lineEvery: Double = 10) {
        self.label = label
        self.interactive = isatty(2) != 0
        self.lineEvery = lineEvery
    }

    /// Starts timing a run of `total` steps, `done` of which are already behind (a resumed run).
    public func start(total: Int, at done: Int = 0) { self.total = total; self.skipped = done; started = Date(); images = 0 }

    public func update(step: Int, epoch: Int, epochs: Int, loss: Double, accuracy: Double, images batch: Int) {
        images += batch
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= (interactive ? 0.1 : lineEvery) || step == total else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(started)
        let rate = Double(images) / max(elapsed, 1e-9)
        let eta = step > skipped ? elapsed / Double(step - skipped) * Double(total - step) : 0
        let width = 24, filled = total > 0 ? width * step / total : 0
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        lastLine = String(format: "%@ %@ %3d%% step %d/%d epoch %d/%d loss %.4f acc %.1f%% %.0f img/s ETA %@",
                          label, bar, total > 0 ? 100 * step / total : 0, step, total, epoch, epochs, loss, 100 * accuracy, rate, Self.clock(eta))
        write(interactive ? "\r\u{1B}[K" + lastLine : lastLine + "\n")
    }

    public func finish() {
        if interactive && !lastLine.isEmpty { write("\n") }
    }

    /// A plain message line that does not garble the bar.
    public func note(_ text: String) { write((interactive ? "\r\u{1B}[K" : "") + text + "\n") }

    private func write(_ s: String) { FileHandle.standardError.write(s.data(using: .utf8)!) }

    /// "m:ss" or "h:mm:ss".
    public static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
