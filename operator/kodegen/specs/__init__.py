"""kodegen.specs"""
