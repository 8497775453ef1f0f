using Tlogistry.Oci;

namespace Tlogistry.Tests.Oci;

public sealed class ImageSelectorTests
{
    [Theory]
    [InlineData("alpine", "index.docker.io/library/alpine", null)]
    [InlineData("alpine:3.16.0", "index.docker.io/library/alpine", "3.16.0")]
    [InlineData("docker.io/library/alpine:3", "index.docker.io/library/alpine", "3")]
    [InlineData("ghcr.io/org/app", "ghcr.io/org/app", null)]
    [InlineData("ghcr.io/org/app:v1", "ghcr.io/org/app", "v1")]
    [InlineData("localhost:5000/app", "localhost:5000/app", null)]
    [InlineData("localhost:5000/app:1", "localhost:5000/app", "1")]
    public void NamesAndTagsAreReadAsReferencesSpellThem(string text, string repository, string? tag)
    {
        Assert.True(ImageSelector.TryParse(text, out var selector, out var error), error?.Message);
        Assert.Equal((repository, tag), (selector.Name.Canonical, selector.Tag));
        Assert.Equal(tag is null ? repository : repository + ":" + tag, selector.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("UPPER/case")]
    [InlineData("alpine:")]
    [InlineData("alpine:bad tag")]
    [InlineData("alpine@sha256:0123")]
    public void BadInputIsRefusedWithAMessage(string? text)
    {
        Assert.False(ImageSelector.TryParse(text, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error.Message));
    }

    [Fact]
    public void ARepositorySelectsItsOwnTagsOnly()
    {
        Assert.True(ImageSelector.TryParse("ghcr.io/org/app", out var all, out _));
        Assert.True(all.Selects(Typed.Tag("ghcr.io/org/app:v1")));
        Assert.False(all.Selects(Typed.Tag("ghcr.io/org/app2:v1")));
        Assert.False(all.Selects(Typed.Tag("ghcr.io/org/app/sub:v1")));
        // A repository with no tag is not a tag reference at all, so nothing can select it.
        Assert.Throws<FormatException>(() => TagReference.ParseCanonical("ghcr.io/org/app"));

        Assert.True(ImageSelector.TryParse("ghcr.io/org/app:v1", out var one, out _));
        Assert.True(one.Selects(Typed.Tag("ghcr.io/org/app:v1")));
        Assert.False(one.Selects(Typed.Tag("ghcr.io/org/app:v2")));
    }
}
