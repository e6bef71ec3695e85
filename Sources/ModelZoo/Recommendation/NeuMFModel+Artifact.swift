import Foundation

extension NeuMFModel {
    /// The recommender as a versioned binary artifact ("ENGR", docs/models.md).
    public func encode() -> Data {
        let floats = userEmbeddings.count + itemEmbeddings.count + categoryEmbeddings.count + wordEmbeddings.count
        var w = ModelEnvelope.recommender.writer(reservingCapacity: floats * 4 + users.count * 12 + seenItems.count * 4)
        w.write(strings: users.ids)
        w.write(strings: items.ids)
        w.write(strings: itemFeatures.categories)
        w.write(contentsOf: itemFeatures.itemCategory)
        w.write(UInt32(itemFeatures.wordBuckets))
        w.write(contentsOf: itemFeatures.wordStart)
        w.write(contentsOf: itemFeatures.words)
        w.write(UInt32(factors))
        w.write(UInt32(mlpFactors))
        tower.write(to: &w)
        w.write(contentsOf: towerParameters)
        w.write(contentsOf: outputWeights)
        w.write(contentsOf: userEmbeddings)
        w.write(contentsOf: itemEmbeddings)
        w.write(contentsOf: categoryEmbeddings)
        w.write(contentsOf: wordEmbeddings)
        w.write(contentsOf: itemPopularity)
        w.write(contentsOf: seenStart)
        w.write(contentsOf: seenItems)
        w.write(UInt32(trainingLoss.count))
        w.write(contentsOf: trainingLoss)
        return ModelEnvelope.recommender.seal(w)
    }

    /// Parses and validates an artifact written by `encode()`; throws for anything else.
    public static func decode(_ data: Data) throws -> NeuMFModel {
        var r = try ModelEnvelope.recommender.reader(for: data)
        do {
            let users = try IDVocabulary(ids: try r.readStrings("user id"))
            let items = try IDVocabulary(ids: try r.readStrings("item id"))
            let categories = try r.readStrings("category")
            let itemCategory = try r.readArray(Int32.self, count: items.count, "item categories")
            let buckets = Int(try r.read(UInt32.self, "word buckets"))
            let wordStart = try r.readArray(Int32.self, count: items.count + 1, "title word offsets")
            guard let wordCount = wordStart.last, wordCount >= 0 else { throw ModelArtifactError.corrupt("negative title word count") }
            let words = try r.readArray(Int32.self, count: Int(wordCount), "title words")
            let features = try ItemFeatures(categories: categories, itemCategory: itemCategory, wordBuckets: buckets,
                                            wordStart: wordStart, words: words)
            let factors = Int(try r.read(UInt32.self, "factors"))
            let mlpFactors = Int(try r.read(UInt32.self, "MLP factors"))
            guard factors <= 1 << 16, mlpFactors <= 1 << 16 else { throw ModelArtifactError.corrupt("implausible factor counts") }
            let tower = try DenseNetworkShape.read(from: &r)
            let width = factors + mlpFactors
            func floats(_ count: Int, _ what: String) throws -> [Float] {
                guard count >= 0, count <= r.remaining / 4 else { throw ModelArtifactError.truncated(what) }
                return try r.readFloats(count: count, what)
            }
            let towerParameters = try floats(tower.parameterCount, "tower parameters")
            let outputWeights = try floats(tower.outputWidth + 1, "output weights")
            let userEmbeddings = try floats(users.count * width, "user embeddings")
            let itemEmbeddings = try floats(items.count * (width + 1), "item embeddings")
            let categoryEmbeddings = try floats(categories.count * (mlpFactors + 1), "category embeddings")
            let wordEmbeddings = try floats(buckets * (mlpFactors + 1), "word embeddings")
            let popularity = try r.readArray(Int32.self, count: items.count, "item popularity")
            let seenStart = try r.readArray(Int32.self, count: users.count + 1, "seen-item offsets")
            guard let seenCount = seenStart.last, seenCount >= 0 else { throw ModelArtifactError.corrupt("negative seen-item count") }
            let seenItems = try r.readArray(Int32.self, count: Int(seenCount), "seen items")
            let epochs = try r.readCount("epoch count", minimumBytesEach: 8)
            let losses = try r.readDoubles(count: epochs, "training losses")
            try r.finish("the training losses")
            return try NeuMFModel(
                users: users, items: items, itemFeatures: features, factors: factors, mlpFactors: mlpFactors, tower: tower,
                towerParameters: towerParameters, outputWeights: outputWeights, userEmbeddings: userEmbeddings,
                itemEmbeddings: itemEmbeddings, categoryEmbeddings: categoryEmbeddings, wordEmbeddings: wordEmbeddings,
                itemPopularity: popularity, seenStart: seenStart, seenItems: seenItems, trainingLoss: losses)
        } catch let error as RecommenderError {
            throw ModelArtifactError.corrupt(error.description)
        } catch let error as NeuralNetError {
            throw ModelArtifactError.corrupt(error.description)
        }
    }
}
