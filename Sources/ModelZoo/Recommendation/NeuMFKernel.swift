import Foundation

/// NeuMF's forward and backward pass, on parameters shared by the training threads.
///
/// Per (user u, item i) the logit is Σ_d p_ud q_id (GMF with its output weights fixed at 1,
/// the matrix-factorisation case of He et al.) + h · MLP([p′_u ; q′_i]) + b + b_i. The item's
/// MLP vector and bias add its category's and the mean of its title words' rows to its own;
/// the GMF part is the item's own row only, a pure collaborative factorisation.
///
/// With pre-training, the GMF part is left out (`trainMLPAlone`) while the MLP part learns, and
/// the two are then combined (`combine`), as He et al. combine their pre-trained GMF and MLP.
/// Rows of users and items learn at `learningRate`; what many examples share (the tower, the
/// output layer, category and word rows) at `sharedLearningRate`.
final class NeuMFKernel: PairwiseKernel, @unchecked Sendable {
    let userTable: EmbeddingTable
    let itemTable: EmbeddingTable
    let categoryTable: EmbeddingTable
    let wordTable: EmbeddingTable
    /// The tower's parameters, then its output weights h, then the output bias b.
    let dense: TrainableBuffer
    let features: ItemFeatures
    let factors: Int
    let mlpFactors: Int
    let tower: DenseNetworkShape
    private let rowAdam: AdamSettings
    private let sharedAdam: AdamSettings
    /// Whether the GMF term is part of the logit (false while the MLP part trains alone).
    private(set) var gmfEnabled = true

    var itemGradientWidth: Int { factors + mlpFactors + 1 }
    var denseCount: Int { dense.count }
    var userWidth: Int { factors + mlpFactors }
    var sideWidth: Int { mlpFactors + 1 }

    init(users: Int, features: ItemFeatures, parameters: NeuMFParameters) throws {
        factors = parameters.factors
        mlpFactors = parameters.mlpFactors
        tower = try DenseNetworkShape(widths: parameters.layers, activations: Array(repeating: .relu, count: parameters.layers.count - 1))
        tailKernels = tower.layerCount > 1
            ? DenseKernels(shape: try DenseNetworkShape(widths: Array(tower.widths.dropFirst()),
                                                        activations: Array(tower.activations.dropFirst())))
            : nil
        rowAdam = AdamSettings(learningRate: parameters.learningRate)
        sharedAdam = AdamSettings(learningRate: parameters.sharedLearningRate)
        self.features = features
        var rng = SplitMix64(seed: parameters.seed, stream: 2)
        let sd = parameters.initialSD
        // The last column of item, category and word rows is a bias, starting at 0.
        func table(_ rows: Int, _ width: Int, bias: Bool) -> EmbeddingTable {
            var initial = EmbeddingTable.gaussian(rows: rows, width: width, sd: sd, &rng)
            if bias { for row in 0..<rows { initial[row * width + width - 1] = 0 } }
            return EmbeddingTable(rows: rows, width: width, initial: initial)
        }
        userTable = table(users, factors + mlpFactors, bias: false)
        itemTable = table(features.itemCount, factors + mlpFactors + 1, bias: true)
        categoryTable = table(features.categories.count, mlpFactors + 1, bias: true)
        wordTable = table(features.wordBuckets, mlpFactors + 1, bias: true)
        let shape = tower, limit = (3 / Double(shape.outputWidth)).squareRoot()
        var output = (0..<shape.outputWidth).map { _ in Float((2 * rng.nextUnit() - 1) * limit) }
        output.append(0)
        dense = TrainableBuffer(shape.initialParameters(&rng) + output)
    }

    /// A kernel over the same parameters with its own pending gradients (a Hogwild thread's),
    /// learning what this one learns now.
    func sharingParameters() -> NeuMFKernel {
        NeuMFKernel(sharing: self)
    }

    private init(sharing other: NeuMFKernel) {
        userTable = other.userTable.sharingParameters()
        itemTable = other.itemTable.sharingParameters()
        categoryTable = other.categoryTable.sharingParameters()
        wordTable = other.wordTable.sharingParameters()
        dense = other.dense
        features = other.features
        factors = other.factors
        mlpFactors = other.mlpFactors
        tower = other.tower
        tailKernels = other.tailKernels
        rowAdam = other.rowAdam
        sharedAdam = other.sharedAdam
        gmfEnabled = other.gmfEnabled
    }

    /// Leaves the GMF term out of the logit and its rows without gradient, so that the MLP part
    /// (tower, MLP rows, side features, biases) learns alone.
    func trainMLPAlone() {
        gmfEnabled = false
        userTable.learnOnly(factors..<userWidth)
        itemTable.learnOnly(factors..<itemGradientWidth)
    }

    /// Makes the model α · `mf` + (1 − α) · the MLP part trained alone: the GMF rows become the
    /// factorisation's (users' scaled by α), the tower's output weights and every bias are mixed.
    func combine(with mf: MatrixFactorizationModel, alpha: Float) {
        precondition(mf.factors == factors, "combining needs \(factors) factors, the MF model has \(mf.factors)")
        let beta = 1 - alpha
        for user in 0..<userTable.rows {
            let row = userTable.row(Int32(user))
            for d in 0..<factors { row[d] = alpha * mf.userFactors[user * factors + d] }
        }
        let biasColumn = factors + mlpFactors
        for item in 0..<itemTable.rows {
            let row = itemTable.row(Int32(item)), source = item * (factors + 1)
            for d in 0..<factors { row[d] = mf.itemFactors[source + d] }
            row[biasColumn] = beta * row[biasColumn] + alpha * mf.itemFactors[source + factors]
        }
        for table in [categoryTable, wordTable] {
            for index in 0..<table.rows { table.row(Int32(index))[mlpFactors] *= beta }
        }
        let h = dense.values + tower.parameterCount
        for d in 0..<tower.outputWidth { h[d] *= beta }
        h[tower.outputWidth] = beta * h[tower.outputWidth] + alpha * mf.bias
        gmfEnabled = true
        userTable.learnOnly(0..<userWidth)
        itemTable.learnOnly(0..<itemGradientWidth)
    }

    /// Layers after the first, when there are any: the first layer is split into its user and
    /// item halves in `trainGroup`, the rest run as a plain network.
    private let tailKernels: DenseKernels?
    private var hidden: Int { tower.widths[1] }

    // Workspace layout.
    private var userHiddenOffset: Int { factors + mlpFactors + 1 }
    private var deltaSumOffset: Int { userHiddenOffset + hidden }
    private var hiddenOffset: Int { deltaSumOffset + hidden }
    private var hiddenGradientOffset: Int { hiddenOffset + hidden }
    private var tailActivationOffset: Int { hiddenGradientOffset + hidden }
    private var towerGradientOffset: Int { tailActivationOffset + (tailKernels?.shape.activationCount ?? 0) }
    private var scratchOffset: Int { towerGradientOffset + tower.outputWidth }
    var workspaceSize: Int { scratchOffset + 2 * (tailKernels?.shape.maximumWidth ?? 0) }

    /// The item's GMF vector (its own row), and its MLP vector and bias: own row + category +
    /// mean of title words.
    @inline(__always)
    func itemVector(_ item: Int32, into q: UnsafeMutablePointer<Float>) {
        VectorKernels.copy(itemTable.row(item), into: q, count: factors + mlpFactors + 1)
        let side = q + factors
        let category = features.itemCategory[Int(item)]
        if category >= 0 { VectorKernels.add(categoryTable.row(category), into: side, count: sideWidth) }
        let start = Int(features.wordStart[Int(item)]), end = Int(features.wordStart[Int(item) + 1])
        if end > start {
            let share = 1 / Float(end - start)
            for k in start..<end { VectorKernels.axpy(share, wordTable.row(features.words[k]), side, count: sideWidth) }
        }
    }

    /// The tower's first layer is W₁ᵀ[p′ ; q′] + b₁ = (W₁ᵤᵀp′ + b₁) + W₁ᵢᵀq′, and the user half
    /// is the same for the group's items: it is computed once per group, and so are its
    /// gradients (from the sum of the items' first-layer deltas).
    func trainGroup(user: Int32, items: UnsafePointer<Int32>, count: Int, lossScale: Float,
                    dense gradients: UnsafeMutablePointer<Float>, userGradient: UnsafeMutablePointer<Float>,
                    itemGradients: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>) -> Double {
        let theta = dense.values
        let h = theta + tower.parameterCount, bias = h[tower.outputWidth]
        let outputGradients = gradients + tower.parameterCount
        let hidden = self.hidden, m = mlpFactors
        let userWeights = theta, itemWeights = theta + m * hidden, firstBias = theta + 2 * m * hidden
        let userWeightGradients = gradients, itemWeightGradients = gradients + m * hidden, firstBiasGradient = gradients + 2 * m * hidden
        let tailOffset = 2 * m * hidden + hidden
        let p = userTable.row(user), pMLP = p + factors
        let q = workspace
        let userHidden = workspace + userHiddenOffset
        let deltaSum = workspace + deltaSumOffset
        let hiddenOut = workspace + hiddenOffset
        let hiddenGradient = workspace + hiddenGradientOffset
        let tailActivations = workspace + tailActivationOffset
        let towerGradient = workspace + towerGradientOffset
        let scratch = workspace + scratchOffset
        let towerOutput = tailKernels.map { UnsafePointer(tailActivations + ($0.shape.activationCount - $0.shape.outputWidth)) }
            ?? UnsafePointer(hiddenOut)
        VectorKernels.zero(userGradient, count: userWidth)
        VectorKernels.zero(deltaSum, count: hidden)
        VectorKernels.copy(firstBias, into: userHidden, count: hidden)
        for i in 0..<m { VectorKernels.axpy(pMLP[i], userWeights + i * hidden, userHidden, count: hidden) }
        var loss = 0.0
        for j in 0..<count {
            let label: Float = j == 0 ? 1 : 0
            itemVector(items[j], into: q)
            let qMLP = q + factors
            VectorKernels.copy(userHidden, into: hiddenOut, count: hidden)
            for i in 0..<m { VectorKernels.axpy(qMLP[i], itemWeights + i * hidden, hiddenOut, count: hidden) }
            for d in 0..<hidden where hiddenOut[d] < 0 { hiddenOut[d] = 0 }
            tailKernels?.forward(theta + tailOffset, input: hiddenOut, activations: tailActivations)
            let gmf = gmfEnabled ? VectorKernels.dot(p, q, count: factors) : 0
            let logit = gmf + VectorKernels.dot(h, towerOutput, count: tower.outputWidth) + bias + q[factors + mlpFactors]
            let (probability, exampleLoss) = Logistic.sigmoidAndLoss(logit: logit, label: label)
            loss += exampleLoss
            let delta = (probability - label) * lossScale
            VectorKernels.axpy(delta, towerOutput, outputGradients, count: tower.outputWidth)
            outputGradients[tower.outputWidth] += delta
            if let tailKernels {
                for d in 0..<tower.outputWidth { towerGradient[d] = delta * h[d] }
                tailKernels.backward(theta + tailOffset, input: hiddenOut, activations: tailActivations, outputGradient: towerGradient,
                                     gradients: gradients + tailOffset, inputGradient: hiddenGradient, scratch: scratch)
            } else {
                for d in 0..<hidden { hiddenGradient[d] = delta * h[d] }
            }
            for d in 0..<hidden where hiddenOut[d] <= 0 { hiddenGradient[d] = 0 }
            VectorKernels.add(hiddenGradient, into: deltaSum, count: hidden)
            let itemGradient = itemGradients + j * itemGradientWidth
            for i in 0..<m {
                VectorKernels.axpy(qMLP[i], hiddenGradient, itemWeightGradients + i * hidden, count: hidden)
                itemGradient[factors + i] = VectorKernels.dot(itemWeights + i * hidden, hiddenGradient, count: hidden)
            }
            if !gmfEnabled {
                VectorKernels.zero(itemGradient, count: factors)
            } else {
                VectorKernels.axpy(delta, q, userGradient, count: factors)
                for d in 0..<factors { itemGradient[d] = delta * p[d] }
            }
            itemGradient[factors + mlpFactors] = delta
        }
        VectorKernels.add(deltaSum, into: firstBiasGradient, count: hidden)
        for i in 0..<m {
            VectorKernels.axpy(pMLP[i], deltaSum, userWeightGradients + i * hidden, count: hidden)
            userGradient[factors + i] = VectorKernels.dot(userWeights + i * hidden, deltaSum, count: hidden)
        }
        return loss
    }

    func scatterItemGradient(_ item: Int32, _ gradient: UnsafePointer<Float>) {
        itemTable.accumulate(item, gradient)
    }

    func step(_ t: Int, dense gradients: UnsafePointer<Float>, l2: Float) {
        // An item's MLP vector and bias are a sum of rows, so each category and word row's
        // gradient is the sum of its items': passed on once per touched item and step.
        for item in itemTable.touchedBuffer {
            let gradient = itemTable.pendingGradient(item) + factors
            let category = features.itemCategory[Int(item)]
            if category >= 0 { categoryTable.accumulate(category, gradient) }
            let start = Int(features.wordStart[Int(item)]), end = Int(features.wordStart[Int(item) + 1])
            if end > start {
                let share = 1 / Float(end - start)
                for k in start..<end { wordTable.accumulate(features.words[k], gradient, scale: share) }
            }
        }
        let rows = rowAdam.step(t), shared = sharedAdam.step(t)
        shared.apply(dense, offset: 0, gradients: gradients, count: dense.count)
        categoryTable.applyAdam(shared, decay: l2)
        wordTable.applyAdam(shared, decay: l2)
        userTable.applyAdam(rows, decay: l2)
        itemTable.applyAdam(rows, decay: l2)
    }
}
