import Engine

/// One image-to-image step of a preprocessing pipeline. Steps draw randomness only from `rng`,
/// which the loader derives from (seed, epoch, example index), so augmentation is reproducible.
public protocol ImageTransform: Sendable {
    func apply(_ image: Image, rng: inout RNG) -> Image
}

/// Bilinear resize, either of the shorter side (keeping the aspect ratio) or to an exact size.
public struct Resize: ImageTransform {
    public enum Target: Sendable, Equatable {
        case shorterSide(Int)
        case exact(height: Int, width: Int)
    }
    public let target: Target

    public init(shorterSide: Int) { target = .shorterSide(shorterSide) }
    public init(height: Int, width: Int) { target = .exact(height: height, width: width) }

    public func apply(_ image: Image, rng: inout RNG) -> Image {
        switch target {
        case .shorterSide(let s): return ImageOps.resize(image, shorterSide: s)
        case .exact(let h, let w): return ImageOps.resize(image, height: h, width: w)
        }
    }
}

/// The centred window of the given size (zero-padded when the image is smaller).
public struct CenterCrop: ImageTransform {
    public let height: Int, width: Int
    public init(height: Int, width: Int) { self.height = height; self.width = width }
    public init(_ side: Int) { self.init(height: side, width: side) }

    public func apply(_ image: Image, rng: inout RNG) -> Image {
        ImageOps.centerCrop(image, height: height, width: width)
    }
}

/// A window at a uniformly random position of the image zero-padded by `padding` on every side
/// (padding 0 with a crop as large as the image is the identity).
public struct RandomCrop: ImageTransform {
    public let height: Int, width: Int, padding: Int
    public init(height: Int, width: Int, padding: Int = 0) {
        self.height = height; self.width = width; self.padding = padding
    }
    public init(_ side: Int, padding: Int = 0) { self.init(height: side, width: side, padding: padding) }

    public func apply(_ image: Image, rng: inout RNG) -> Image {
        let spanY = image.height + 2 * padding - height, spanX = image.width + 2 * padding - width
        // A crop larger than the padded image has one position: centred.
        let top = spanY >= 0 ? rng.below(spanY + 1) - padding : spanY / 2 - padding
        let left = spanX >= 0 ? rng.below(spanX + 1) - padding : spanX / 2 - padding
        return ImageOps.crop(image, top: top, left: left, height: height, width: width)
    }
}

/// Mirrors left–right with the given probability.
public struct RandomHorizontalFlip: ImageTransform {
    public let probability: Float
    public init(probability: Float = 0.5) { self.probability = probability }

    public func apply(_ image: Image, rng: inout RNG) -> Image {
        rng.uniform() < probability ? ImageOps.flipHorizontally(image) : image
    }
}

/// Makes the image have `channels` channels: grey → 3 channels by replication (to feed grey data
/// to an RGB network), RGB → grey by luma.
public struct ConvertChannels: ImageTransform {
    public let channels: Int
    public init(_ channels: Int) {
        precondition(channels == 1 || channels == 3, "ConvertChannels: \(channels) channels, expected 1 or 3")
        self.channels = channels
    }

    public func apply(_ image: Image, rng: inout RNG) -> Image { ImageOps.convert(image, channels: channels) }
}
