using System.Text;
using StreamingPipeline.Processing.State;

namespace StreamingPipeline.Jobs.Tests.Dedup;

public sealed class RocksDbBucketStateStoreTests
{
    private static byte[] Key(string text) => Encoding.UTF8.GetBytes("0123456789abcdef" + text);

    [Fact]
    public void Reopening_after_dispose_keeps_the_committed_state_and_checkpoint_but_not_the_staging()
    {
        using var directory = new TempDirectory();
        var path = Path.Combine(directory.Path, "p0");
        using (var store = RocksDbBucketStateStore.Open(path))
        {
            Assert.Null(store.Checkpoint);
            store.Put(Key("a"), 10);
            store.Put(Key("b"), 11);
            store.Commit(new StateCheckpoint(41, 12_345));
            store.Put(Key("c"), 12);
        }

        using (var reopened = RocksDbBucketStateStore.Open(path))
        {
            Assert.Equal(new StateCheckpoint(41, 12_345), reopened.Checkpoint);
            Assert.True(reopened.TryGetBucket(Key("a"), out var a));
            Assert.Equal(10, a);
            Assert.True(reopened.TryGetBucket(Key("b"), out var b));
            Assert.Equal(11, b);
            Assert.False(reopened.TryGetBucket(Key("c"), out _));
            var stats = reopened.GetStats();
            Assert.Equal(2, stats.Keys);
            Assert.Equal(2, stats.Buckets);
            Assert.True(stats.BytesOnDisk > 0);
        }
    }

    [Theory]
    [InlineData(RocksDbExpiry.CompactionFilter)]
    [InlineData(RocksDbExpiry.BucketIndex)]
    public void Expiry_drops_whole_buckets_and_survives_a_reopen(RocksDbExpiry expiry)
    {
        using var directory = new TempDirectory();
        var path = Path.Combine(directory.Path, "p0");
        using (var store = RocksDbBucketStateStore.Open(path, expiry))
        {
            for (var i = 0; i < 300; i++)
            {
                store.Put(Key("k" + i), 100 + (i % 3));
            }
            store.Commit(new StateCheckpoint(299, 1));
            store.ExpireBefore(102);
            store.Put(Key("k0"), 105);
            store.Commit(new StateCheckpoint(300, 2));

            Assert.True(store.TryGetBucket(Key("k0"), out var moved));
            Assert.Equal(105, moved);
            Assert.True(store.TryGetBucket(Key("k2"), out var kept));
            Assert.Equal(102, kept);
            store.CompactAll();
            Assert.False(store.TryGetBucket(Key("k1"), out _));
            Assert.False(store.TryGetBucket(Key("k3"), out _));
        }
        using var reopened = RocksDbBucketStateStore.Open(path, expiry);
        var stats = reopened.GetStats();
        Assert.Equal(101, stats.Keys);
        Assert.Equal(2, stats.Buckets);
        reopened.ExpireBefore(200);
        reopened.Commit(new StateCheckpoint(301, 3));
        reopened.CompactAll();
        Assert.Equal(0, reopened.GetStats().Keys);
        Assert.False(reopened.TryGetBucket(Key("k0"), out _));
        Assert.False(reopened.TryGetBucket(Key("k2"), out _));
    }

    [Fact]
    public void A_state_written_with_another_expiry_layout_is_refused()
    {
        using var directory = new TempDirectory();
        using (RocksDbBucketStateStore.Open(directory.Path, RocksDbExpiry.BucketIndex))
        {
        }

        var error = Assert.Throws<StateStoreException>(() => RocksDbBucketStateStore.Open(directory.Path, RocksDbExpiry.CompactionFilter));

        Assert.Contains("not this pipeline's state", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_state_written_with_another_key_layout_is_refused_as_another_layout_of_this_pipelines_state()
    {
        using var directory = new TempDirectory();
        using (var store = RocksDbBucketStateStore.Open(directory.Path, keyLayout: "binary"))
        {
            store.Put(Key("a"), 1);
            store.Commit(new StateCheckpoint(0, 0));
        }

        var error = Assert.Throws<StateStoreException>(() => RocksDbBucketStateStore.Open(directory.Path, keyLayout: "hash96"));

        Assert.True(error.IsOtherLayout);
        Assert.Contains("keys=binary", error.Message, StringComparison.Ordinal);
        using var same = RocksDbBucketStateStore.Open(directory.Path, keyLayout: "binary");
        Assert.Equal(1, same.GetStats().Keys);
    }

    [Fact]
    public void A_non_empty_directory_without_a_database_is_refused_with_a_clear_error()
    {
        using var directory = new TempDirectory();
        File.WriteAllText(Path.Combine(directory.Path, "notes.txt"), "not state");

        var error = Assert.Throws<StateStoreException>(() => RocksDbBucketStateStore.Open(directory.Path));

        Assert.Contains("holds no RocksDB database", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_corrupt_database_is_refused_with_a_clear_error()
    {
        using var directory = new TempDirectory();
        var path = Path.Combine(directory.Path, "p0");
        using (var store = RocksDbBucketStateStore.Open(path))
        {
            store.Put(Key("a"), 1);
            store.Commit(new StateCheckpoint(0, 0));
        }
        File.WriteAllText(Path.Combine(path, "CURRENT"), "MANIFEST-999999\n");

        var error = Assert.Throws<StateStoreException>(() => RocksDbBucketStateStore.Open(path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Another_rocksdb_database_is_refused()
    {
        using var directory = new TempDirectory();
        var path = Path.Combine(directory.Path, "foreign");
        using (RocksDbSharp.RocksDb.Open(new RocksDbSharp.DbOptions().SetCreateIfMissing(true), path))
        {
        }

        var error = Assert.Throws<StateStoreException>(() => RocksDbBucketStateStore.Open(path));

        Assert.Contains("not this pipeline's state", error.Message, StringComparison.Ordinal);
        Assert.False(error.IsOtherLayout);
    }
}
