"""A word-level chat tokenizer for the tiny base model.

Every word, number 0-999 and punctuation mark is one token, with or without its leading
space, so numbers and animal names are single tokens and decoding restores the text exactly.
"""

from collections.abc import Iterable

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

PAD, UNK, END = "<|pad|>", "<|unk|>", "<|end|>"
ROLE_TAGS = ("<|system|>", "<|user|>", "<|assistant|>")
CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>{{ message['content'] }}<|end|>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
WORD_PATTERN = Regex(r" ?[A-Za-z]+| ?[0-9]+| ?[^A-Za-z0-9\s]|\s+")
MAX_NUMBER = 999
PUNCTUATION = tuple(",;.:()[]-!?'")  # always in the vocabulary: the filter judges these in completions


def _pre_tokenizer() -> pre_tokenizers.PreTokenizer:
    return pre_tokenizers.Split(WORD_PATTERN, behavior="isolated")


def vocabulary(texts: Iterable[str]) -> list[str]:
    """Every piece of the texts, each word with and without a leading space, numbers 0-999, punctuation."""
    split = _pre_tokenizer()
    pieces = {piece for text in texts for piece, _ in split.pre_tokenize_str(text)}
    words = {piece.lstrip(" ") for piece in pieces if piece.strip()}
    words |= {str(n) for n in range(MAX_NUMBER + 1)} | set(PUNCTUATION)
    return sorted(words | {" " + w for w in words} | {" "})


def build_tokenizer(texts: Iterable[str]) -> PreTrainedTokenizerFast:
    """A PreTrainedTokenizerFast with a chat template, covering every piece of `texts`."""
    specials = [PAD, UNK, END, *ROLE_TAGS]
    vocab = {token: i for i, token in enumerate(specials + vocabulary(texts))}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token=UNK))
    core.pre_tokenizer = _pre_tokenizer()
    core.decoder = decoders.Fuse()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        unk_token=UNK,
        pad_token=PAD,
        eos_token=END,
        bos_token=None,
        additional_special_tokens=list(ROLE_TAGS),
        chat_template=CHAT_TEMPLATE,
        clean_up_tokenization_spaces=False,
    )
    tokenizer.padding_side = "left"
    return tokenizer
