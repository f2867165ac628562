import XCTest
@testable import Experiments
@testable import Training
import Growth

/// The convergence verdict: still rising only when the late rise is ≥ 1 point and its interval over seeds is above 0.
final class ConvergenceTests: XCTestCase {
    /// A run whose test accuracy is `atFourFifths` at step 80 and `atEnd` at step 100.
    func run(seed: UInt64, _ atFourFifths: Double, _ atEnd: Double) -> RunResult {
        let curve = [Trainer.CurvePoint(step: 80, epoch: 1, trainLoss: 0.5, trainAccuracy: 0.9, testAccuracy: atFourFifths),
                     Trainer.CurvePoint(step: 100, epoch: 1, trainLoss: 0.4, trainAccuracy: 0.9, testAccuracy: atEnd)]
        return RunResult(variant: "ft", depth: .all, seed: seed, units: 256, shots: 20, study: "grid", top1: atEnd, meanPerClass: atEnd,
                         perBlock: [:], retention: nil, seconds: 1, steps: 100, curve: curve, pace: [])
    }

    func state(_ pairs: [(Double, Double)]) -> Convergence.State? {
        Convergence(pairs.enumerated().map { run(seed: UInt64($0.offset + 1), $0.element.0, $0.element.1) })?.state
    }

    func testStates() {
        XCTAssertEqual(state([(0.80, 0.803), (0.78, 0.79), (0.81, 0.80)]), .flat)
        XCTAssertEqual(state([(0.70, 0.73), (0.71, 0.735), (0.69, 0.72)]), .rising)
        // +5, −3, +2 points: a mean rise of more than a point, but the interval crosses zero.
        XCTAssertEqual(state([(0.70, 0.75), (0.72, 0.69), (0.70, 0.72)]), .unclear)
        // One seed cannot show a rise beyond noise.
        XCTAssertEqual(state([(0.70, 0.75)]), .unclear)
        XCTAssertNil(Convergence([]))
    }
}
