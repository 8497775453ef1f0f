namespace Tlogistry.Fuzzing;

/// <summary>
/// Havoc-style mutations on bytes: bit and byte flips, inserts and deletes, chunk repeats
/// (to grow inputs towards a few KB, where slow paths show), dictionary tokens, splices with
/// another corpus entry, and inserted characters (including lone surrogates, read back by
/// <see cref="FuzzInput.Text"/>). Deterministic for a given <see cref="Random"/>.
/// </summary>
internal sealed class Mutator(Random random, IReadOnlyList<byte[]> tokens, int maxLength)
{
    private static readonly byte[] Interesting = [0x00, 0x01, 0x7f, 0x80, 0xff, (byte)'/', (byte)':', (byte)'.', (byte)'\n', (byte)' ', (byte)'"', (byte)'=', (byte)'0', (byte)'9', (byte)'a', (byte)'A'];

    private static readonly int[] CodePoints = [0x00, 0x09, 0x0a, 0x0d, 0x7f, 0x80, 0xa0, 0xe9, 0x2014, 0x2028, 0x3000, 0xd800, 0xdbff, 0xdc00, 0xfeff, 0xfffd, 0x1f600];

    public byte[] Mutate(byte[] input, IReadOnlyList<byte[]> corpus)
    {
        var data = new List<byte>(input);
        var rounds = 1 + random.Next(4);
        for (var i = 0; i < rounds; i++)
        {
            MutateOnce(data, corpus);
        }

        if (data.Count > maxLength)
        {
            data.RemoveRange(maxLength, data.Count - maxLength);
        }

        return [.. data];
    }

    private void MutateOnce(List<byte> data, IReadOnlyList<byte[]> corpus)
    {
        switch (random.Next(data.Count == 0 ? 3 : 12))
        {
            case 0:
                data.InsertRange(Position(data, inclusive: true), tokens.Count > 0 ? tokens[random.Next(tokens.Count)] : [Interesting[random.Next(Interesting.Length)]]);
                break;
            case 1:
                var encoded = new List<byte>();
                FuzzInput.Encode(random.Next(3) == 0 ? random.Next(0x110000) : CodePoints[random.Next(CodePoints.Length)], encoded);
                data.InsertRange(Position(data, inclusive: true), encoded);
                break;
            case 2:
                var other = corpus[random.Next(corpus.Count)];
                if (other.Length > 0)
                {
                    var from = random.Next(other.Length);
                    data.InsertRange(Position(data, inclusive: true), other[from..(from + 1 + random.Next(other.Length - from))]);
                }

                break;
            case 3:
                data[Position(data)] ^= (byte)(1 << random.Next(8));
                break;
            case 4:
                data[Position(data)] = Interesting[random.Next(Interesting.Length)];
                break;
            case 5:
                data[Position(data)] = (byte)random.Next(0x20, 0x7f);
                break;
            case 6:
                var start = Position(data);
                data.RemoveRange(start, 1 + random.Next(Math.Min(16, data.Count - start)));
                break;
            case 7:
                // Overwrite with a token, keeping the length roughly the same.
                var token = tokens.Count > 0 ? tokens[random.Next(tokens.Count)] : [(byte)'/'];
                var at = Position(data);
                data.RemoveRange(at, Math.Min(token.Length, data.Count - at));
                data.InsertRange(at, token);
                break;
            case 8:
                // Repeat a chunk many times: long runs are where backtracking and quadratic loops show.
                var chunkStart = Position(data);
                var chunk = data.GetRange(chunkStart, 1 + random.Next(Math.Min(8, data.Count - chunkStart)));
                var times = random.Next(2) == 0 ? 1 + random.Next(4) : 1 + random.Next(maxLength / chunk.Count);
                for (var i = 0; i < times && data.Count < maxLength; i++)
                {
                    data.InsertRange(chunkStart, chunk);
                }

                break;
            case 9:
                // Splice: keep a prefix of this input and the tail of another.
                var donor = corpus[random.Next(corpus.Count)];
                var cut = Position(data);
                data.RemoveRange(cut, data.Count - cut);
                data.AddRange(donor[random.Next(donor.Length + 1)..]);
                break;
            case 10:
                var letter = Position(data);
                if (char.IsAsciiLetter((char)data[letter]))
                {
                    data[letter] ^= 0x20;
                }
                else if (char.IsAsciiDigit((char)data[letter]))
                {
                    data[letter] = (byte)('0' + random.Next(10));
                }

                break;
            default:
                data.Insert(Position(data, inclusive: true), (byte)random.Next(256));
                break;
        }
    }

    private int Position(List<byte> data, bool inclusive = false) => random.Next(data.Count + (inclusive ? 1 : 0));
}
