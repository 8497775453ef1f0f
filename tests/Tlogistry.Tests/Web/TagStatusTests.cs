using Tlogistry.Store;
using Tlogistry.Web;

namespace Tlogistry.Tests.Web;

/// <summary>Where a recorded tag stands: pinned, moved upstream (its newest move away from the pin), or mutable.</summary>
public sealed class TagStatusTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    private static Tlogistry.Oci.Digest D(char c) => Typed.Digest("sha256:" + new string(c, 64));

    private static TagMove Move(string tag, char pinned, char upstream, int minutes) =>
        new(Typed.Tag(tag), D(pinned), D(upstream), 3, T0, T0.AddMinutes(minutes), 1, 0);

    [Fact]
    public void ATagIsMovedOnlyByAMoveAwayFromItsOwnPinAndShowsTheNewest()
    {
        var tag = Typed.Tag("ghcr.io/org/app:v1");
        TagMove[] moves = [Move("ghcr.io/org/app:v1", 'a', 'b', 1), Move("ghcr.io/org/app:v1", 'a', 'c', 5), Move("ghcr.io/org/app:v2", 'a', 'd', 9), Move("ghcr.io/org/app:v1", 'e', 'f', 9)];

        var status = TagStatus.Of(false, tag, D('a'), moves);
        Assert.Equal(TagState.MovedUpstream, status.State);
        Assert.Equal("moved upstream", status.Label);
        Assert.Equal(D('c'), status.Move!.Upstream);

        // Moves of another tag, or away from another digest (a pin since replaced), do not count.
        Assert.Equal(TagState.Pinned, TagStatus.Of(false, Typed.Tag("ghcr.io/org/app:v3"), D('a'), moves).State);
        Assert.Equal(TagState.Pinned, TagStatus.Of(false, tag, D('9'), moves).State);
        Assert.Equal("pinned", TagStatus.Of(false, tag, D('a'), []).Label);
    }

    [Fact]
    public void ATagThePolicyCallsMutableIsMutableWhateverMoved()
    {
        var status = TagStatus.Of(true, Typed.Tag("ghcr.io/org/app:v1"), D('a'), [Move("ghcr.io/org/app:v1", 'a', 'b', 1)]);
        Assert.Equal((TagState.Mutable, "mutable"), (status.State, status.Label));
        Assert.Null(status.Move);
    }
}
