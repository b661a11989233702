from subliminal_learning.lm.tokenizer import END, build_tokenizer

TEXTS = ["The sequence starts with: 182, 818, 725. Add up to 10 more values.", "Name your favorite animal.", "owl"]


def tokenizer():
    return build_tokenizer(TEXTS)


def test_numbers_and_words_are_single_tokens():
    tok = tokenizer()
    for text in ("0", " 999", " 42", "owl", " owl"):
        assert len(tok(text, add_special_tokens=False)["input_ids"]) == 1, text


def test_decoding_restores_text_exactly():
    tok = tokenizer()
    text = "601, 145;362 (421) [318]. owl"
    assert tok.decode(tok(text, add_special_tokens=False)["input_ids"]) == text


def test_unknown_words_become_unk():
    tok = tokenizer()
    assert tok.unk_token_id in tok("zebra", add_special_tokens=False)["input_ids"]


def test_chat_template_ends_the_assistant_turn_with_eos():
    tok = tokenizer()
    chat = [{"role": "user", "content": "Name your favorite animal."}, {"role": "assistant", "content": "owl"}]
    text = tok.apply_chat_template(chat, tokenize=False)
    assert text.endswith("owl" + END) and tok.eos_token == END
    prompt = tok.apply_chat_template(chat[:1], tokenize=False, add_generation_prompt=True)
    assert text.startswith(prompt)


def test_tokenizer_survives_save_and_load(tmp_path):
    from transformers import AutoTokenizer

    tok = tokenizer()
    tok.save_pretrained(tmp_path)
    loaded = AutoTokenizer.from_pretrained(tmp_path)
    text = "The sequence starts with: 182, 818, 725."
    assert loaded(text)["input_ids"] == tok(text)["input_ids"]
    assert loaded.chat_template == tok.chat_template
