namespace StreamingPipeline.Broker.Transactions;

/// <summary>
/// Serialises, per producer id, staging transactional offsets (TxnOffsetCommit: verify with the transaction coordinator,
/// then stage in the group coordinator) with completing that producer's transaction in the group coordinator. Without
/// it, a commit verified just before a fencing abort could be staged just after the abort dropped the staged offsets,
/// and the next incarnation's commit (same producer id) would publish them. Kafka gets this ordering from appending
/// both through the same <c>__consumer_offsets</c> partition. Striped: unrelated producers rarely wait for each other.
/// </summary>
internal sealed class ProducerOffsetLocks : IDisposable
{
    private readonly SemaphoreSlim[] _stripes;

    /// <summary>Creates <paramref name="stripes"/> independent locks.</summary>
    public ProducerOffsetLocks(int stripes = 64)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stripes, 1);
        _stripes = new SemaphoreSlim[stripes];
        for (var i = 0; i < stripes; i++)
        {
            _stripes[i] = new SemaphoreSlim(1, 1);
        }
    }

    /// <summary>Runs <paramref name="work"/> while no other work for <paramref name="producerId"/> runs.</summary>
    public async Task<T> RunExclusiveAsync<T>(long producerId, Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        var gate = _stripes[(int)((ulong)producerId % (ulong)_stripes.Length)];
        await gate.WaitAsync(cancellationToken);
        try
        {
            return await work(cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var stripe in _stripes)
        {
            stripe.Dispose();
        }
    }
}
