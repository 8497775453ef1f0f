using System.Text.Json;

namespace Tlogistry.Transparency.Envelopes;

/// <summary>An in-toto Statement v1 subject: a name and its digests by algorithm.</summary>
internal sealed record InTotoSubject(string Name, IReadOnlyDictionary<string, string> Digest);

/// <summary>Writes an in-toto Statement v1 with a caller-written predicate, in fixed member order.</summary>
internal static class InTotoStatement
{
    public const string StatementType = "https://in-toto.io/Statement/v1";

    public static byte[] Write(IReadOnlyList<InTotoSubject> subjects, string predicateType, Action<Utf8JsonWriter> writePredicate)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("_type", StatementType);
            w.WriteStartArray("subject");
            foreach (var s in subjects)
            {
                w.WriteStartObject();
                w.WriteString("name", s.Name);
                w.WriteStartObject("digest");
                foreach (var (alg, hex) in s.Digest.OrderBy(d => d.Key, StringComparer.Ordinal))
                {
                    w.WriteString(alg, hex);
                }

                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteString("predicateType", predicateType);
            w.WritePropertyName("predicate");
            writePredicate(w);
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
