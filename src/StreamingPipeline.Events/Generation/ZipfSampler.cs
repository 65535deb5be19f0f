namespace StreamingPipeline.Events.Generation;

/// <summary>
/// Draws ranks 1..N with P(k) proportional to 1/k^s in constant time and memory, by rejection-inversion
/// (Hörmann and Derflinger, 1996), so ten million users cost no table.
/// </summary>
public sealed class ZipfSampler
{
    private readonly long _count;
    private readonly double _exponent;
    private readonly double _hIntegralX1;
    private readonly double _hIntegralCount;
    private readonly double _s;

    /// <summary>A sampler over ranks 1..<paramref name="count"/> with skew <paramref name="exponent"/> (&gt; 0).</summary>
    public ZipfSampler(long count, double exponent)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        if (!(exponent > 0) || !double.IsFinite(exponent))
        {
            throw new ArgumentOutOfRangeException(nameof(exponent), exponent, "The Zipf exponent must be a positive number.");
        }
        _count = count;
        _exponent = exponent;
        _hIntegralX1 = HIntegral(1.5) - 1.0;
        _hIntegralCount = HIntegral(count + 0.5);
        _s = 2.0 - HIntegralInverse(HIntegral(2.5) - H(2.0));
    }

    /// <summary>A rank in 1..N; rank 1 is the most likely.</summary>
    public long Sample(DeterministicRandom random)
    {
        while (true)
        {
            var u = _hIntegralCount + (random.NextDouble() * (_hIntegralX1 - _hIntegralCount));
            var x = HIntegralInverse(u);
            var k = (long)(x + 0.5);
            k = Math.Clamp(k, 1, _count);
            if (k - x <= _s || u >= HIntegral(k + 0.5) - H(k))
            {
                return k;
            }
        }
    }

    // H(x) = x^-s; HIntegral is its antiderivative shifted so that HIntegral(1) = 0.
    private double H(double x) => Math.Exp(-_exponent * Math.Log(x));

    private double HIntegral(double x)
    {
        var logX = Math.Log(x);
        return ExpM1OverX((1.0 - _exponent) * logX) * logX;
    }

    private double HIntegralInverse(double x)
    {
        var t = x * (1.0 - _exponent);
        if (t < -1.0)
        {
            t = -1.0;
        }
        return Math.Exp(Log1POverX(t) * x);
    }

    // log(1+x)/x and (e^x-1)/x, with series near zero where the direct forms lose precision (s close to 1).
    private static double Log1POverX(double x) =>
        Math.Abs(x) > 1e-8 ? double.LogP1(x) / x : 1.0 - (x * ((1.0 / 2.0) - (x * ((1.0 / 3.0) - (x * 0.25)))));

    private static double ExpM1OverX(double x) =>
        Math.Abs(x) > 1e-8 ? double.ExpM1(x) / x : 1.0 + (x * 0.5 * (1.0 + (x * (1.0 / 3.0) * (1.0 + (0.25 * x)))));
}
