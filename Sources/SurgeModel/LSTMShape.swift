// Dimension legend for SurgeModel:
//   B  batch size          T  time steps in a window
//   F  input features      H  hidden size of every layer
//   L  stacked layers      C  classes (2: normal, overload)
//   G  = 4H, the four gates i, f, g, o stacked in PyTorch's order
//   in_k = F for layer 0, H above

/// The sizes of a stacked-LSTM classifier and where each parameter tensor lives in the flat
/// parameter array.
///
/// Storage layout: the LSTM weight matrices are kept *transposed* against PyTorch, as
/// [in_k × G] ("kernel" layout), so the inner loops of forward and backward are axpy updates
/// over G contiguous floats, which vectorise without reassociating sums. Adam is element-wise,
/// so the layout does not change what training computes. PyTorch's layout ([G × in_k], gate
/// rows i|f|g|o) is used at the edges: golden files and the model file.
public struct LSTMShape: Equatable, Sendable {
    public let features: Int   // F
    public let hidden: Int     // H
    public let layers: Int     // L
    public let classes: Int    // C

    public init(features: Int, hidden: Int, layers: Int, classes: Int = 2) {
        precondition(features > 0 && hidden > 0 && layers > 0 && classes > 1)
        self.features = features
        self.hidden = hidden
        self.layers = layers
        self.classes = classes
    }

    public var gates: Int { 4 * hidden }
    public func inputSize(layer k: Int) -> Int { k == 0 ? features : hidden }

    /// One tensor of the model: its PyTorch name and shape, and its span in the flat array.
    public struct Tensor: Equatable, Sendable {
        public enum Role: Hashable, Sendable {
            case inputKernel(layer: Int)      // weight_ih, stored [in_k × G]
            case recurrentKernel(layer: Int)  // weight_hh, stored [H × G]
            case inputBias(layer: Int)        // bias_ih [G]
            case recurrentBias(layer: Int)    // bias_hh [G]
            case headWeight                   // fc.weight [C × H], PyTorch layout
            case headBias                     // fc.bias [C]
        }
        public let role: Role
        public let name: String
        /// PyTorch's shape.
        public let shape: [Int]
        public let offset: Int
        public var count: Int { shape.reduce(1, *) }
        /// Stored transposed against PyTorch.
        public var isTransposed: Bool {
            switch role {
            case .inputKernel, .recurrentKernel: return true
            default: return false
            }
        }
    }

    /// In PyTorch's `named_parameters()` order.
    public var tensors: [Tensor] {
        var list: [Tensor] = []
        var offset = 0
        func add(_ role: Tensor.Role, _ name: String, _ shape: [Int]) {
            list.append(Tensor(role: role, name: name, shape: shape, offset: offset))
            offset += shape.reduce(1, *)
        }
        for k in 0..<layers {
            add(.inputKernel(layer: k), "lstm.weight_ih_l\(k)", [gates, inputSize(layer: k)])
            add(.recurrentKernel(layer: k), "lstm.weight_hh_l\(k)", [gates, hidden])
            add(.inputBias(layer: k), "lstm.bias_ih_l\(k)", [gates])
            add(.recurrentBias(layer: k), "lstm.bias_hh_l\(k)", [gates])
        }
        add(.headWeight, "fc.weight", [classes, hidden])
        add(.headBias, "fc.bias", [classes])
        return list
    }

    public var parameterCount: Int { tensors.last.map { $0.offset + $0.count } ?? 0 }

    func tensor(_ role: Tensor.Role) -> Tensor { tensors.first { $0.role == role }! }
}
