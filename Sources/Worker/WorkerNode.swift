import Dataset
import Foundation
import Logging
import ModelZoo
import Training
import Wire

/// A worker process: connects a DEALER to the coordinator, says HELLO, fetches the shards its
/// jobs need, trains off the I/O thread, and returns results.
///
/// The I/O thread alone owns the transport. It heartbeats while a job trains, and reconnects
/// with a doubling backoff when the coordinator falls silent (the Guide's Paranoid Pirate).
/// ``step(timeoutMs:)`` is one round of that loop, so tests drive it over an ``InMemoryHub``
/// with a ``ManualClock`` and an inline ``JobExecution``.
public final class WorkerNode {
    /// Why `run()` returned.
    public enum Exit: Sendable, Equatable {
        case shutdown(String)
        case parentGone
    }

    private struct ActiveJob {
        var header: JobHeader
        var spec: TrainingJobSpec
        var fetch: ShardFetch?
        /// Fetched shards still being verified and stored (``StoredShard``); training waits for them.
        var storing: Set<String> = []
        var training = false
        /// When the first FETCH went out and the bytes missing then, for the log line that closes the transfer.
        var fetchStarted = ContinuousClock.now
        var fetchBytes = 0
    }

    private let options: WorkerOptions
    private let logger: Logger
    private let store: ShardStore
    private let decoded: DecodedShards
    private let outbox = Outbox<Envelope>()
    private let writes = Outbox<StoredShard>()
    private let progress = ProgressGate()
    private let connector: any TransportConnector
    private let clock: any MonotonicClock
    private let execution: JobExecution
    private var transport: (any MessageTransport)?
    /// When the next connection attempt is due, while the coordinator is given up for silence;
    /// the old connection stays open until then.
    private var reconnectAt: ContinuousClock.Instant?
    private var liveness: Liveness
    private var backoff = ReconnectBackoff()
    /// Set by BYE "next-run" until the next coordinator welcomes us: retries are capped at
    /// ``nextRunRetryMs`` so the gap between two runs is not stretched by the doubling backoff.
    private var awaitingNextRun = false
    /// The longest wait between connection attempts while awaiting the next run.
    public static let nextRunRetryMs = 2000
    /// How long after BYE "next-run" the first attempt waits, so it does not reach the closing coordinator.
    static let nextRunFirstAttemptMs = 500
    private var job: ActiveJob?
    private var welcomed = false
    /// The last RESULT or FAILED sent, kept until a coordinator heartbeat no longer lists its job.
    private var unacknowledged: (jobID: String, envelope: Envelope, sentAt: ContinuousClock.Instant)?
    private let parentPID: pid_t
    public let counters = MessageCounters()

    /// A worker that reaches its coordinator through `connector`.
    public init(options: WorkerOptions, logger: Logger, connector: any TransportConnector,
                clock: any MonotonicClock = SystemClock(), execution: JobExecution = .threaded) throws {
        self.options = options
        self.logger = logger
        self.connector = connector
        self.clock = clock
        self.execution = execution
        parentPID = options.parentPID ?? getppid()
        store = try ShardStore(directory: options.cacheDirectory)
        decoded = DecodedShards(store: store)
        liveness = Liveness(heartbeatMs: options.heartbeatMs, liveness: options.liveness, now: clock.now)
    }

    /// A worker that connects ZeroMQ DEALERs to `options.endpoint`.
    public convenience init(options: WorkerOptions, logger: Logger) throws {
        try self.init(options: options, logger: logger, connector: ZMQConnector(endpoint: options.endpoint, curve: options.curve))
    }

    deinit {
        transport?.close()
    }

    public func run() throws -> Exit {
        defer { logger.info("\(MessageCounters.logPrefix)\(counters.json)") }
        try connect()
        while true {
            if options.exitWithParent, getppid() != parentPID {
                logger.warning("the process that started this worker is gone; exiting")
                return .parentGone
            }
            if let exit = try step(timeoutMs: 20) { return exit }
            if let reconnectAt {
                Thread.sleep(forTimeInterval: clock.now.duration(to: reconnectAt).seconds)
            }
        }
    }

    /// One round of the loop: handles at most one message (waiting up to `timeoutMs` for it),
    /// sends what training produced, and heartbeats, gives up on or reconnects to the
    /// coordinator as the clock says. Non-nil when the worker should exit.
    public func step(timeoutMs: Int32 = 0) throws -> Exit? {
        if let reconnectAt {
            if clock.now >= reconnectAt { try connect() }
            return nil
        }
        guard let transport else {
            try connect()
            return nil
        }
        let frames = try transport.receive(timeoutMs: timeoutMs)
        // The coordinator is judged at the time of this poll: handling a message can take this
        // thread a while (a chunk that completes a shard is verified and written), and whatever the
        // coordinator sent meanwhile is only read at the next poll.
        let polled = clock.now
        if let frames, let exit = try handle(frames) { return exit }
        settleWrites()
        let now = clock.now
        if let report = progress.take(now: now) { send(Envelope.make(.progress, report)) }
        for envelope in outbox.drain() { try finish(envelope) }
        if liveness.isDead(now: polled) {
            let wait = awaitingNextRun ? min(backoff.next(), Self.nextRunRetryMs) : backoff.next()
            // Between two watch runs silence is expected, possibly for hours: not worth a warning every few seconds.
            logger.log(level: awaitingNextRun ? .debug : .warning, "coordinator silent for \(liveness.liveness) heartbeats; reconnecting in \(wait) ms")
            reconnectAt = now + .milliseconds(wait)
        } else if liveness.heartbeatDue(now: now) {
            send(Envelope.make(.heartbeat, HeartbeatHeader(workerID: options.workerID, busyJobs: job.map { [$0.header.jobID] } ?? [],
                                                            peakRSSBytes: PeakRSS.currentBytes())))
            liveness.sentHeartbeat(at: now)
        }
        return nil
    }

    private func connect() throws {
        transport?.close()
        transport = nil
        // A fresh identity per connection: the coordinator treats a reconnect as a new worker.
        transport = try connector.connect(identity: Data("\(options.workerID)-\(UInt32.random(in: 0...UInt32.max))".utf8))
        reconnectAt = nil
        welcomed = false
        liveness = Liveness(heartbeatMs: liveness.heartbeatMs, liveness: liveness.liveness, now: clock.now)
        if let active = job, !active.training {
            // Its FETCHes and their CHUNKs belonged to the old connection: the transfer would wait forever.
            logger.warning("giving up job \(active.header.jobID) attempt \(active.header.attempt): its shard transfer was cut by the reconnect")
            job = nil
        }
        let hello = HelloHeader(workerID: options.workerID, host: ProcessInfo.processInfo.hostName, pid: getpid(),
                                cores: options.effectiveThreads, memoryBytes: ProcessInfo.processInfo.physicalMemory,
                                cachedShards: (try? store.ids()) ?? [], version: EngageVersion.current,
                                busyJobs: [job?.header.jobID, unacknowledged?.jobID].compactMap { $0 })
        send(Envelope.make(.hello, hello))
        liveness.sentHeartbeat(at: clock.now)
        logger.info("worker \(options.workerID) connecting to \(options.endpoint)")
    }

    private func handle(_ frames: [Data]) throws -> Exit? {
        let message: Envelope
        do {
            message = try Envelope.parse(frames)
        } catch {
            counters.drop(error, what: "malformed message") { logger.warning("\($0)") }
            return nil
        }
        liveness.heard(at: clock.now)
        do {
            let exit = try handle(message)
            counters.countReceived()
            return exit
        } catch {
            counters.drop(error, what: "\(message.command.rawValue) message") { logger.warning("\($0)") }
            return nil
        }
    }

    private func handle(_ message: Envelope) throws -> Exit? {
        do {
            switch message.command {
            case .welcome:
                let welcome = try message.decodeHeader(WelcomeHeader.self)
                liveness = Liveness(heartbeatMs: welcome.heartbeatMs, liveness: welcome.liveness, now: clock.now)
                backoff.reset()
                awaitingNextRun = false
                welcomed = true
                logger.info("welcomed by coordinator \(welcome.coordinatorID)")
                if let pending = unacknowledged {
                    logger.info("resending the outcome of \(pending.jobID) after reconnecting")
                    send(pending.envelope)
                    unacknowledged?.sentAt = clock.now
                }
            case .heartbeat:
                acknowledge(try message.decodeHeader(HeartbeatHeader.self))
            case .job:
                try accept(message)
            case .chunk:
                try chunk(try message.decodeHeader(ChunkHeader.self), bytes: message.payload ?? Data())
            case .cancel:
                let cancel = try message.decodeHeader(CancelHeader.self)
                if job?.header.jobID == cancel.jobID, job?.training == false { job = nil }
            case .bye:
                let bye = try message.decodeHeader(ByeHeader.self)
                if bye.reason == "reconnect" {
                    try connect()
                    return nil
                }
                if bye.reason == ByeHeader.nextRunReason {
                    logger.info("coordinator's run is over; waiting for the next run at \(options.endpoint)")
                    awaitingNextRun = true
                    reconnectAt = clock.now + .milliseconds(Self.nextRunFirstAttemptMs)
                    return nil
                }
                logger.info("coordinator said BYE (\(bye.reason)); exiting")
                return .shutdown(bye.reason)
            default:
                throw DroppedMessage("unexpected \(message.command.rawValue) from coordinator")
            }
        }
        return nil
    }

    private func accept(_ message: Envelope) throws {
        let header = try message.decodeHeader(JobHeader.self)
        guard job == nil else {
            send(Envelope.make(.failed, FailedHeader(jobID: header.jobID, attempt: header.attempt, error: "worker \(options.workerID) is busy")))
            return
        }
        unacknowledged = nil
        let spec: TrainingJobSpec
        do {
            spec = try JSONDecoder().decode(TrainingJobSpec.self, from: message.payload ?? Data())
        } catch {
            send(Envelope.make(.failed, FailedHeader(jobID: header.jobID, attempt: header.attempt, error: "unreadable job spec: \(error)")))
            return
        }
        let needed = spec.allShards.map(\.id)
        var seen = Set<String>()
        let missing = needed.filter { !store.contains($0) && seen.insert($0).inserted }
        logger.info("job \(header.jobID) attempt \(header.attempt): \(needed.count) shards, \(missing.count) to fetch")
        job = ActiveJob(header: header, spec: spec, fetch: missing.isEmpty ? nil : ShardFetch(missing: missing, window: options.fetchWindow, chunkBytes: options.chunkBytes))
        job?.fetchBytes = spec.allShards.filter { missing.contains($0.id) }.reduce(0) { $0 + $1.bytes }
        if missing.isEmpty { startTraining() } else { requestChunks() }
    }

    private func requestChunks() {
        guard var fetch = job?.fetch else { return }
        for request in fetch.requests() { send(Envelope.make(.fetch, request)) }
        job?.fetch = fetch
    }

    private func chunk(_ header: ChunkHeader, bytes: Data) throws {
        guard var fetch = job?.fetch, let jobHeader = job?.header else {
            throw DroppedMessage("chunk without a transfer")
        }
        // `fetch` is now the only holder of the transfer buffers, so the chunk is written in place.
        job?.fetch = nil
        do {
            if let done = try fetch.receive(header, bytes: bytes) { store(done.data, id: done.id, for: jobHeader) }
        } catch {
            fail(jobHeader, "shard transfer failed: \(error)")
            return
        }
        job?.fetch = fetch
        if fetch.isComplete {
            job?.fetch = nil
            if let active = job {
                logger.info("job \(active.header.jobID): fetched \(active.fetchBytes) bytes in \(Self.milliseconds(since: active.fetchStarted)) ms")
            }
            settleWrites()
        } else {
            requestChunks()
        }
    }

    /// Verifies and stores a fetched shard away from this thread (with ``JobExecution/launch``).
    private func store(_ data: Data, id: String, for header: JobHeader) {
        job?.storing.insert(id)
        let store = self.store, writes = self.writes, jobID = header.jobID, attempt = header.attempt
        execution.launch {
            var error: String?
            do { try store.write(data: data, expectedID: id) } catch let failure { error = "\(failure)" }
            writes.post(StoredShard(jobID: jobID, attempt: attempt, shardID: id, error: error))
        }
    }

    /// Takes the stored shards' outcomes: a failed one fails its job; once every shard of the
    /// job is fetched and stored, training starts.
    private func settleWrites() {
        for outcome in writes.drain() {
            guard let active = job, active.header.jobID == outcome.jobID, active.header.attempt == outcome.attempt else { continue }
            job?.storing.remove(outcome.shardID)
            if let error = outcome.error {
                fail(active.header, "shard transfer failed: \(error)")
                return
            }
        }
        if let active = job, active.fetch == nil, active.storing.isEmpty, !active.training { startTraining() }
    }

    private func fail(_ header: JobHeader, _ error: String) {
        job = nil
        send(Envelope.make(.failed, FailedHeader(jobID: header.jobID, attempt: header.attempt, error: error)))
    }

    private func startTraining() {
        guard let active = job else { return }
        job?.training = true
        progress.begin()
        let decoded = self.decoded, outbox = self.outbox, progress = self.progress, logger = self.logger
        let header = active.header, spec = active.spec, train = execution.train
        let threads = options.threads(grantedByCoordinator: header.threads)
        execution.launch {
            let started = ContinuousClock.now
            let cpuStarted = CPUTime.processSeconds()
            do {
                let inputs = JobInputs(train: try decoded.table(of: spec.trainShards) ?? Table.concatenated([]),
                                       eval: try decoded.table(of: spec.evalShards), scored: try decoded.table(of: spec.scoreShards),
                                       items: try decoded.table(of: spec.itemShards), stacking: try decoded.table(of: spec.stackingShards),
                                       binned: try spec.binnedShard.map { try decoded.binned($0.id) })
                let inputSeconds = (ContinuousClock.now - started).seconds
                logger.info("job \(header.jobID): inputs read in \(Self.milliseconds(since: started)) ms (\(decoded.hits) decoded shard reads from memory, \(decoded.misses) from disk so far)")
                let outcome = try train(spec, threads, inputs) { fraction in
                    progress.report(jobID: header.jobID, attempt: header.attempt, fraction: fraction)
                }
                let report = try EngageJSONEncoder().encode(outcome.report)
                let payload = ResultPayload(artifact: outcome.artifact, predictions: outcome.evalPredictions + outcome.scoredPredictions).encode()
                let seconds = (ContinuousClock.now - started).seconds
                outbox.post(Envelope.make(.result, ResultHeader(jobID: header.jobID, attempt: header.attempt, seconds: seconds, report: report,
                                                                peakRSSBytes: PeakRSS.currentBytes(), cpuSeconds: CPUTime.processSeconds() - cpuStarted,
                                                                inputSeconds: inputSeconds), payload: payload))
            } catch {
                logger.error("job \(header.jobID) failed: \(error)")
                outbox.post(Envelope.make(.failed, FailedHeader(jobID: header.jobID, attempt: header.attempt, error: String(describing: error))))
            }
        }
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Int {
        Int(((ContinuousClock.now - start).seconds * 1000).rounded())
    }

    /// Sends what a training thread produced and frees the worker for the next job.
    private func finish(_ envelope: Envelope) throws {
        if envelope.command == .result || envelope.command == .failed {
            job = nil
            let jobID = envelope.command == .result ? try envelope.decodeHeader(ResultHeader.self).jobID : try envelope.decodeHeader(FailedHeader.self).jobID
            progress.end(jobID: jobID)
            unacknowledged = (jobID, envelope, clock.now)
        }
        send(envelope)
    }

    /// The coordinator's heartbeat lists the jobs it still waits for from us: a finished job
    /// missing from it was recorded; one still listed after `liveness` intervals is sent again.
    private func acknowledge(_ heartbeat: HeartbeatHeader) {
        guard let pending = unacknowledged else { return }
        if !heartbeat.busyJobs.contains(pending.jobID) {
            unacknowledged = nil
        } else if clock.now - pending.sentAt > liveness.expiry {
            logger.warning("coordinator still waits for \(pending.jobID); sending its outcome again")
            send(pending.envelope)
            unacknowledged?.sentAt = clock.now
        }
    }

    private func send(_ envelope: Envelope) {
        guard let transport else { return }
        do {
            if try transport.send(envelope.frames()) {
                counters.countSent()
            } else {
                logger.warning("send queue full; dropped \(envelope.command.rawValue)")
            }
        } catch {
            logger.warning("send failed: \(error)")
        }
    }
}
