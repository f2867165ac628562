import XCTest
import Engine
@testable import Datasets

final class ImageOpsTests: XCTestCase {
    func grey(_ w: Int, _ h: Int, _ px: [UInt8]) -> Image { Image(width: w, height: h, channels: 1, pixels: px) }

    func testFlipTwiceIsIdentityAndFlipMirrors() {
        let img = Fixture.pattern(width: 5, height: 3, channels: 3)
        XCTAssertEqual(ImageOps.flipHorizontally(ImageOps.flipHorizontally(img)), img)
        XCTAssertEqual(ImageOps.flipHorizontally(grey(3, 1, [1, 2, 3])), grey(3, 1, [3, 2, 1]))
        XCTAssertNotEqual(ImageOps.flipHorizontally(img), img)
    }

    func testCenterCropOfKnownImageAndPaddingWhenLarger() {
        let img = grey(4, 4, Array(0..<16))
        XCTAssertEqual(ImageOps.centerCrop(img, height: 2, width: 2), grey(2, 2, [5, 6, 9, 10]))
        XCTAssertEqual(ImageOps.centerCrop(grey(1, 1, [9]), height: 3, width: 3), grey(3, 3, [0, 0, 0, 0, 9, 0, 0, 0, 0]))
        XCTAssertEqual(ImageOps.crop(img, top: -1, left: 3, height: 2, width: 2), grey(2, 2, [0, 0, 3, 0]))
    }

    func testBilinearResizeKeepsConstantImagesConstant() {
        for (h, w) in [(7, 5), (32, 48), (3, 3), (1, 9)] {
            let c = Image(width: 13, height: 11, channels: 3, pixels: [UInt8](repeating: 77, count: 13 * 11 * 3))
            let r = ImageOps.resize(c, height: h, width: w)
            XCTAssertEqual(r.shape, ImageShape(height: h, width: w, channels: 3))
            XCTAssertTrue(r.pixels.allSatisfy { $0 == 77 }, "resize to \(h)×\(w) changed a constant image")
        }
    }

    func testResizeAgainstHandComputedValues() {
        // Enlarging 2 → 4 (half-pixel centres): 0.75/0.25 weights between the two inputs.
        XCTAssertEqual(ImageOps.resize(grey(2, 1, [0, 100]), height: 1, width: 4), grey(4, 1, [0, 25, 75, 100]))
        // Shrinking 4 → 2: the triangle widens to radius 2; output 0 has weights (.75, .75, .25)/1.75
        // on inputs 0, 40, 80 → 28.6; output 1 (.25, .75, .75)/1.75 on 40, 80, 120 → 91.4.
        XCTAssertEqual(ImageOps.resize(grey(4, 1, [0, 40, 80, 120]), height: 1, width: 2), grey(2, 1, [29, 91]))
        // Both axes: a 2×2 checker enlarged to 4×4, centre pixels mix all four inputs.
        let r = ImageOps.resize(grey(2, 2, [0, 100, 100, 0]), height: 4, width: 4)
        XCTAssertEqual(r.pixels[0], 0)
        XCTAssertEqual(r.pixels[1 * 4 + 1], 38)  // .75·.75·0 + .75·.25·100 + .25·.75·100 + .25·.25·0 = 37.5
    }

    func testResizeShorterSideKeepsAspect() {
        XCTAssertEqual(ImageOps.resize(Fixture.pattern(width: 40, height: 20, channels: 1), shorterSide: 10).shape,
                       ImageShape(height: 10, width: 20, channels: 1))
        XCTAssertEqual(ImageOps.resize(Fixture.pattern(width: 683, height: 1024, channels: 3), shorterSide: 256).shape,
                       ImageShape(height: 384, width: 256, channels: 3))
    }

    func testChannelConversion() {
        XCTAssertEqual(ImageOps.convert(grey(2, 1, [5, 9]), channels: 3), Image(width: 2, height: 1, channels: 3, pixels: [5, 5, 5, 9, 9, 9]))
        XCTAssertEqual(ImageOps.convert(Image(width: 1, height: 1, channels: 3, pixels: [255, 0, 0]), channels: 1), grey(1, 1, [76]))
    }
}

final class TransformTests: XCTestCase {
    func testRandomCropIsAWindowOfThePaddedImageAndSeeded() {
        let img = Fixture.pattern(width: 6, height: 6, channels: 1)
        let crop = RandomCrop(6, padding: 2)
        var positions = Set<[Int]>()
        for seed in 0..<40 {
            var a = RNG(seed: UInt64(seed)), b = RNG(seed: UInt64(seed))
            let out = crop.apply(img, rng: &a)
            XCTAssertEqual(out, crop.apply(img, rng: &b), "same seed, same crop")
            let match = (-2...2).flatMap { t in (-2...2).map { [t, $0] } }.filter {
                ImageOps.crop(img, top: $0[0], left: $0[1], height: 6, width: 6) == out
            }
            XCTAssertEqual(match.count, 1, "crop is not a single window of the padded image")
            positions.formUnion(match)
        }
        XCTAssertGreaterThan(positions.count, 10, "random crops should cover many of the 25 positions")
        var rng = RNG(seed: 1)
        XCTAssertEqual(RandomCrop(6).apply(img, rng: &rng), img, "no padding, full size: identity")
    }

    func testRandomFlipProbabilities() {
        let img = Fixture.pattern(width: 5, height: 2, channels: 3)
        var rng = RNG(seed: 3)
        XCTAssertEqual(RandomHorizontalFlip(probability: 1).apply(img, rng: &rng), ImageOps.flipHorizontally(img))
        XCTAssertEqual(RandomHorizontalFlip(probability: 0).apply(img, rng: &rng), img)
        let flips = (0..<200).filter { _ in RandomHorizontalFlip().apply(img, rng: &rng) != img }.count
        XCTAssertTrue((70...130).contains(flips), "p = 0.5 flipped \(flips)/200")
    }

    func testToTensorNormalisesPerChannelInCHWOrder() throws {
        let img = Image(width: 2, height: 1, channels: 3, pixels: [0, 51, 255, 255, 102, 0])
        let n = Normalization(mean: [0, 0.2, 0.5], std: [1, 0.5, 0.25])
        var rng = RNG(seed: 0)
        let t = try TransformPipeline([], outputShape: [3, 1, 2], normalization: n)(img, rng: &rng)
        let expected: [Float] = [0, 1, 0, (0.4 - 0.2) / 0.5, 2, -2]
        for (a, b) in zip(t.array, expected) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }

    func testPipelineRejectsImagesOfTheWrongShape() {
        var rng = RNG(seed: 0)
        XCTAssertThrowsError(try TransformPipeline([], outputShape: [1, 4, 4])(Fixture.pattern(width: 5, height: 4, channels: 1), rng: &rng)) {
            XCTAssertTrue("\($0)".contains("4×5×1 after the transforms"), "\($0)")
        }
    }

    func testPaperProtocolTrainAndEvalTransforms() throws {
        let p = Preprocessing(resize: 32, crop: 28, padding: 0, channels: 3, normalization: .imagenet)
        let img = Fixture.pattern(width: 48, height: 40, channels: 1)
        var r1 = RNG(seed: 5), r2 = RNG(seed: 6)
        let e1 = try EvalTransform(p)(img, rng: &r1), e2 = try EvalTransform(p)(img, rng: &r2)
        XCTAssertEqual(e1.shape, [3, 28, 28])
        XCTAssertEqual(e1.array, e2.array, "evaluation is deterministic")
        let centred = ImageOps.convert(ImageOps.centerCrop(ImageOps.resize(img, shorterSide: 32), height: 28, width: 28), channels: 3)
        var r0 = RNG(seed: 0)
        XCTAssertEqual(e1.array, try TransformPipeline([], outputShape: [3, 28, 28], normalization: .imagenet)(centred, rng: &r0).array)
        let train = TrainTransform(p)
        var outs = Set<[Float]>()
        for s in 0..<8 { var r = RNG(seed: UInt64(s)); outs.insert(try train(img, rng: &r).array) }
        XCTAssertGreaterThan(outs.count, 4, "training crops/flips vary with the seed")
        var a = RNG(seed: 9), b = RNG(seed: 9)
        XCTAssertEqual(try train(img, rng: &a).array, try train(img, rng: &b).array, "and are reproducible")
    }
}
