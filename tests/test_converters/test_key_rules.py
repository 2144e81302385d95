"""Two-way key templates (mmpdl.converters.key_rules)."""
import pytest

from mmpdl.converters.key_rules import KeyRule, rename_keys


def test_rule_renames_both_ways_with_offsets_and_rest():
    rule = KeyRule('backbone.stage{i+2}.{b}.{p*}',
                   'backbone.stages.{i}.blocks.{b}.{p*}')
    assert rule.apply('backbone.stage2.3.bn.running_mean') == \
        'backbone.stages.0.blocks.3.bn.running_mean'
    assert rule.apply(
        'backbone.stages.1.blocks.0.conv.weight',
        reverse=True) == 'backbone.stage3.0.conv.weight'
    # the whole key must match, and shifted indices never go negative
    assert rule.apply('x.backbone.stage2.3.w') is None
    assert rule.apply('backbone.stage1.0.w') is None
    assert rule.apply('backbone.stages.0.blocks.0.w') is None


def test_first_matching_rule_wins_and_unmatched_are_reported():
    rules = [
        KeyRule('head.{k}.1.{p*}', 'head.{k}.bn.{p*}'),
        KeyRule('head.{k}.{j}.{p*}', 'head.{k}.conv{j}.{p*}'),
    ]
    renamed, unmatched = rename_keys(
        ['head.0.1.weight', 'head.0.0.weight', 'tail.weight'], rules)
    assert renamed == {
        'head.0.1.weight': 'head.0.bn.weight',
        'head.0.0.weight': 'head.0.conv0.weight'
    }
    assert unmatched == ['tail.weight']


def test_rule_sides_must_have_the_same_placeholders():
    with pytest.raises(ValueError, match='same placeholders'):
        KeyRule('a.{i}.w', 'b.{j}.w')
    with pytest.raises(ValueError, match='same placeholders'):
        KeyRule('a.{i}.w', 'b.{i*}')
    with pytest.raises(ValueError, match='repeated'):
        KeyRule('a.{i}.{i}', 'b.{i}')
