using System.Text;
using Tlogistry.Transparency.Tiles;

namespace Tlogistry.Tests.Transparency;

public sealed class EntryBundleTests
{
    [Fact]
    public void EncodesBigEndianLengthPrefixes()
    {
        byte[][] entries = [Encoding.ASCII.GetBytes("one"), [], new byte[300]];
        var data = EntryBundle.Encode(entries);
        Assert.Equal([0x00, 0x03, (byte)'o', (byte)'n', (byte)'e', 0x00, 0x00, 0x01, 0x2c], data[..9]);
        Assert.Equal(2 + 3 + 2 + 2 + 300, data.Length);
        Assert.Equal(entries, EntryBundle.Decode(data));
    }

    [Fact]
    public void MaximumEntrySizeRoundTrips()
    {
        var big = new byte[EntryBundle.MaxEntrySize];
        big[^1] = 0x5a;
        var data = EntryBundle.Encode([big]);
        Assert.Equal([0xff, 0xff], data[..2]);
        Assert.Equal(big, Assert.Single(EntryBundle.Decode(data)));
        Assert.Throws<ArgumentException>(() => EntryBundle.Encode([new byte[EntryBundle.MaxEntrySize + 1]]));
    }

    [Fact]
    public void EmptyBundleIsEmpty()
    {
        Assert.Empty(EntryBundle.Encode([]));
        Assert.Empty(EntryBundle.Decode([]));
    }

    [Theory]
    [InlineData(new byte[] { 0x00 })]
    [InlineData(new byte[] { 0x00, 0x03, 0x61, 0x62 })]
    [InlineData(new byte[] { 0x00, 0x01, 0x61, 0x00 })]
    [InlineData(new byte[] { 0xff, 0xff })]
    public void TruncationIsAFormatError(byte[] data)
    {
        Assert.Throws<FormatException>(() => EntryBundle.Decode(data));
    }

    [Fact]
    public void MoreThanATileOfEntriesIsRejected()
    {
        var full = Enumerable.Range(0, 256).Select(i => new[] { (byte)i }).ToList();
        Assert.Equal(256, EntryBundle.Decode(EntryBundle.Encode(full)).Count);
        Assert.Throws<ArgumentException>(() => EntryBundle.Encode([.. full, [1]]));
        Assert.Throws<FormatException>(() => EntryBundle.Decode([.. EntryBundle.Encode(full), 0, 0]));
    }
}
