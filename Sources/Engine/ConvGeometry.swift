/// The shape arithmetic of a 2-D convolution or pooling window, shared by kernels and layers.
///
/// Padding may be asymmetric (TensorFlow "SAME" pads more at the bottom/right).
public struct ConvGeometry: Sendable, Hashable, CustomStringConvertible {
    public var batch: Int, inChannels: Int, height: Int, width: Int
    public var outChannels: Int
    public var kernelH: Int, kernelW: Int
    public var strideH: Int, strideW: Int
    public var padTop: Int, padBottom: Int, padLeft: Int, padRight: Int
    public var dilationH: Int, dilationW: Int
    public var groups: Int

    public init(batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int,
                kernel: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (top: Int, bottom: Int, left: Int, right: Int) = (0, 0, 0, 0),
                dilation: (Int, Int) = (1, 1), groups: Int = 1) {
        self.batch = batch; self.inChannels = inChannels; self.height = height; self.width = width
        self.outChannels = outChannels
        (kernelH, kernelW) = kernel; (strideH, strideW) = stride
        (padTop, padBottom, padLeft, padRight) = (padding.top, padding.bottom, padding.left, padding.right)
        (dilationH, dilationW) = dilation
        self.groups = groups
    }

    public var outHeight: Int { (height + padTop + padBottom - dilationH * (kernelH - 1) - 1) / strideH + 1 }
    public var outWidth: Int { (width + padLeft + padRight - dilationW * (kernelW - 1) - 1) / strideW + 1 }
    /// Input channels seen by one group.
    public var groupInChannels: Int { inChannels / groups }
    /// Output channels produced by one group.
    public var groupOutChannels: Int { outChannels / groups }
    /// Rows of the im2col matrix for one group: Cg·kH·kW.
    public var patchSize: Int { groupInChannels * kernelH * kernelW }

    public var description: String {
        "conv[\(batch)x\(inChannels)x\(height)x\(width) -> \(outChannels)x\(outHeight)x\(outWidth), k\(kernelH)x\(kernelW) s\(strideH)x\(strideW) p(\(padTop),\(padBottom),\(padLeft),\(padRight)) d\(dilationH)x\(dilationW) g\(groups)]"
    }

    /// TensorFlow "SAME" padding for one dimension: output = ceil(in / stride), extra pad at the end.
    public static func samePadding(input: Int, kernel: Int, stride: Int, dilation: Int = 1) -> (Int, Int) {
        let out = (input + stride - 1) / stride
        let effective = dilation * (kernel - 1) + 1
        let total = Swift.max(0, (out - 1) * stride + effective - input)
        return (total / 2, total - total / 2)
    }
}
