using System.Buffers;
using Gateway.Transport;

namespace Gateway.Tests.Transport;

/// <summary>
/// The loops' block pool: a block given back is handed out again on the same thread without the inner pool, never to
/// two renters at once, and goes back to the inner pool when the thread's cache cannot keep it. Each test runs on a
/// thread of its own, since the cache is the thread's.
/// </summary>
public class ThreadCachedMemoryPoolTests
{
    [Fact]
    public void ReturnedBlock_RentedAgainOnTheSameThread_WithoutTheInnerPool() => OnOwnThread(() =>
    {
        var inner = new CountingPool();
        using var pool = new ThreadCachedMemoryPool(inner);
        var first = pool.Rent();
        first.Memory.Span[0] = 42;
        first.Dispose();
        var second = pool.Rent();
        Assert.Same(first, second);
        Assert.Equal(1, inner.Rents);
        Assert.Equal(0, inner.Returns);
    });

    [Fact]
    public void BlockGivenBackTwice_HandedOutOnce() => OnOwnThread(() =>
    {
        var inner = new CountingPool();
        using var pool = new ThreadCachedMemoryPool(inner);
        var block = pool.Rent();
        block.Dispose();
        block.Dispose();
        var a = pool.Rent();
        var b = pool.Rent();
        Assert.Same(block, a);
        Assert.NotSame(a, b);
        Assert.NotEqual(a.Memory, b.Memory);
        Assert.Equal(2, inner.Rents);
    });

    [Fact]
    public void LargerThanTheCachedBlock_ComesFromTheInnerPool() => OnOwnThread(() =>
    {
        var inner = new CountingPool(maxBufferSize: int.MaxValue);
        using var pool = new ThreadCachedMemoryPool(inner);
        pool.Rent(4096).Dispose();
        using var large = pool.Rent(8192);
        Assert.True(large.Memory.Length >= 8192);
        Assert.Equal(2, inner.Rents);
    });

    [Fact]
    public void OverTheInnerPoolsMaximum_TheInnerPoolAnswers() => OnOwnThread(() =>
    {
        using var pool = new ThreadCachedMemoryPool(new CountingPool(maxBufferSize: 4096));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(4097));
    });

    [Fact]
    public void FullCache_GivesTheRestBackToTheInnerPool() => OnOwnThread(() =>
    {
        var inner = new CountingPool();
        using var pool = new ThreadCachedMemoryPool(inner);
        var blocks = Enumerable.Range(0, 20).Select(_ => pool.Rent()).ToList();
        blocks.ForEach(b => b.Dispose());
        Assert.Equal(20 - 16, inner.Returns);
    });

    [Fact]
    public void ThreadCachingAnotherPool_BlockGoesBackToItsInnerPool() => OnOwnThread(() =>
    {
        var innerA = new CountingPool();
        var innerB = new CountingPool();
        using var a = new ThreadCachedMemoryPool(innerA);
        using var b = new ThreadCachedMemoryPool(innerB);
        a.Rent().Dispose(); // the thread's cache is a's now
        b.Rent().Dispose();
        Assert.Equal(0, innerA.Returns);
        Assert.Equal(1, innerB.Returns);
    });

    [Fact]
    public void CachingPoolDisposed_NextPoolTakesTheThread() => OnOwnThread(() =>
    {
        var a = new ThreadCachedMemoryPool(new CountingPool());
        a.Rent().Dispose();
        a.Dispose();
        var innerB = new CountingPool();
        using var b = new ThreadCachedMemoryPool(innerB);
        var block = b.Rent();
        block.Dispose();
        Assert.Same(block, b.Rent());
        Assert.Equal(1, innerB.Rents);
        Assert.Equal(0, innerB.Returns);
    });

    private static void OnOwnThread(Action test)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                test();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        }
    }

    /// <summary>Blocks of 4 KB (or what is asked, up to its maximum), counting what is rented and given back.</summary>
    private sealed class CountingPool(int maxBufferSize = 4096) : MemoryPool<byte>
    {
        public int Rents { get; private set; }

        public int Returns { get; private set; }

        public override int MaxBufferSize => maxBufferSize;

        public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, maxBufferSize);
            Rents++;
            return new Owner(this, new byte[Math.Max(minBufferSize, 4096)]);
        }

        protected override void Dispose(bool disposing)
        {
        }

        private sealed class Owner(CountingPool pool, byte[] array) : IMemoryOwner<byte>
        {
            public Memory<byte> Memory => array;

            public void Dispose() => pool.Returns++;
        }
    }
}
